"""OTB (OTB-2013/OTB-100): <seq>/img/0001.jpg and <seq>/groundtruth_rect.txt.

Boxes are x, y, w, h in 1-based MATLAB pixels (converted to 0-based here), one line per
frame, separated by commas, tabs or spaces. Sequences with two targets have
groundtruth_rect.1.txt and .2.txt and become '<seq>-1' and '<seq>-2'.

Some sequences have ground truth for a frame range only (Football1: 81 images, frames
1-74). The range comes from the sequence's cfg.json (startFrame, endFrame) when present,
else from OTB's configSeqs table below, else the ground truth must cover every image.
"""

import json
import re
import warnings
from pathlib import Path
from typing import Optional

from ..images import PathLike, frame_number, natural_key
from ..lazy import Frames
from ..records import Sequence
from ..textfiles import check_row_count, read_box_rows
from ..tracks import box_track
from .common import frame_paths, no_split, sequence_folders

# Frame ranges of OTB-100 sequences whose ground truth does not start at the first image
# or stop at the last (tracker_benchmark configSeqs).
KNOWN_RANGES = {
    "David": (300, 770),
    "Football1": (1, 74),
    "Freeman3": (1, 460),
    "Freeman4": (1, 283),
    "Diving": (1, 215),
    "BlurCar1": (247, 988),
    "BlurCar3": (3, 359),
    "BlurCar4": (18, 397),
}

_GT_NAME = re.compile(r"groundtruth_rect(?:\.(\d+))?\.txt")


def read_otb(root: PathLike, split: Optional[str] = None) -> list[Sequence]:
    """One Sequence per OTB target in `root` (a folder of sequence folders)."""
    no_split("otb", split)
    sequences, without_gt = [], 0
    for folder in sequence_folders(root):
        gt_files = sorted((p for p in folder.iterdir() if _GT_NAME.fullmatch(p.name)), key=lambda p: natural_key(p.name))
        if not gt_files:
            without_gt += 1
            continue
        for gt in gt_files:
            name = folder.name if len(gt_files) == 1 else f"{folder.name}-{_GT_NAME.fullmatch(gt.name).group(1)}"
            sequences.append(read_otb_sequence(folder, gt, name))
    if without_gt:
        warnings.warn(f"{root}: skipped {without_gt} folders without groundtruth_rect*.txt", stacklevel=2)
    if not sequences:
        raise ValueError(f"{root}: no OTB sequences (no folder with groundtruth_rect.txt)")
    return sequences


def read_otb_sequence(folder: PathLike, gt_path: PathLike, name: Optional[str] = None) -> Sequence:
    """One OTB target: the frames its ground truth covers and its boxes, shifted to 0-based pixels."""
    folder, gt_path = Path(folder), Path(gt_path)
    rows = read_box_rows(gt_path)
    rows[:, :2] -= 1
    images = frame_paths(folder / "img")
    frame_range = _frame_range(folder)
    if frame_range is None:
        check_row_count(len(rows), len(images), gt_path, folder / "img")
        frames = images
    else:
        start, end = frame_range
        if len(rows) != end - start + 1:
            raise ValueError(f"{gt_path}: {len(rows)} ground-truth rows for frames {start}-{end} ({end - start + 1} frames)")
        by_number = {frame_number(p): p for p in images}
        missing = [n for n in range(start, end + 1) if n not in by_number]
        if missing:
            raise ValueError(f"{folder / 'img'}: frame {missing[0]} of range {start}-{end} not found ({len(missing)} missing)")
        frames = [by_number[n] for n in range(start, end + 1)]
    return Sequence(name=name or folder.name, frames=Frames(frames), track=box_track(rows, str(gt_path)), video=folder.name)


def _frame_range(folder: Path) -> Optional[tuple[int, int]]:
    """(start, end) 1-based frame numbers from cfg.json or KNOWN_RANGES; None means all images."""
    cfg = folder / "cfg.json"
    if cfg.is_file():
        try:
            config = json.loads(cfg.read_text())
            return int(config["startFrame"]), int(config["endFrame"])
        except json.JSONDecodeError as err:
            raise ValueError(f"{cfg}:{err.lineno}: malformed JSON ({err.msg})") from None
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{cfg}: expected integer 'startFrame' and 'endFrame'") from None
    return KNOWN_RANGES.get(folder.name)
