"""UAV123 / UAV123@10fps / UAV20L: x, y, w, h per frame, 'NaN,NaN,NaN,NaN' where the target is absent.

Two layouts are read:
- flat: <root>/<seq>/000001.jpg ... with <root>/<seq>/groundtruth.txt;
- official: <root>/anno/<subset>/<seq>.txt with <root>/data_seq/<subset>/<seq>/000001.jpg,
  subset (the split) one of UAV123, UAV123_10fps, UAV20L.
In the official layout some annotation files cover part of a longer video (bird1_1 is a
range of data_seq/.../bird1); those ranges live in the benchmark's MATLAB config, not in
the files, so such sequences are skipped with a counted warning.
Boxes are taken as they are in the files (0-based pixels).
"""

import warnings
from pathlib import Path
from typing import Optional

from ..images import PathLike, natural_key
from ..lazy import Frames
from ..records import Sequence
from ..textfiles import check_row_count, read_box_rows, require_dir, require_file
from ..tracks import box_track
from .common import frame_paths, sequence_folders


def read_uav123(root: PathLike, split: Optional[str] = None) -> list[Sequence]:
    """One Sequence per UAV123 sequence; `split` names the subset in the official layout."""
    root = require_dir(root, "dataset root")
    if (root / "anno").is_dir():
        return _read_official(root, split)
    if split is not None:
        raise ValueError(f"{root}: split {split!r} given but there is no anno/ folder (flat layout has no splits)")
    sequences = []
    for folder in sequence_folders(root):
        gt = require_file(folder / "groundtruth.txt", "UAV123 ground truth")
        sequences.append(_sequence(folder.name, frame_paths(folder), gt, folder))
    return sequences


def _read_official(root: Path, split: Optional[str]) -> list[Sequence]:
    subsets = sorted(p.name for p in (root / "anno").iterdir() if p.is_dir())
    if split is None:
        if len(subsets) != 1:
            raise ValueError(f"{root / 'anno'}: give split, one of {subsets}")
        split = subsets[0]
    anno = require_dir(root / "anno" / split, f"UAV123 annotations of split {split!r}")
    gt_files = sorted(anno.glob("*.txt"), key=lambda p: natural_key(p.name))
    if not gt_files:
        raise ValueError(f"{anno}: no sequences (empty split)")
    sequences, partial = [], 0
    for gt in gt_files:
        folder = root / "data_seq" / split / gt.stem
        if not folder.is_dir():
            partial += 1
            continue
        sequences.append(_sequence(gt.stem, frame_paths(folder), gt, folder))
    if partial:
        warnings.warn(
            f"{anno}: skipped {partial} sequences without their own data_seq folder (sub-ranges of a longer video)", stacklevel=3
        )
    if not sequences:
        raise ValueError(f"{anno}: no sequence has a frame folder in {root / 'data_seq' / split}")
    return sequences


def _sequence(name: str, frames: list[Path], gt: Path, folder: Path) -> Sequence:
    rows = read_box_rows(gt)
    check_row_count(len(rows), len(frames), gt, folder)
    return Sequence(name=name, frames=Frames(frames), track=box_track(rows, str(gt)))
