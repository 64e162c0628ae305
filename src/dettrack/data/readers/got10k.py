"""GOT-10k: <root>/<split>/list.txt naming sequence folders, each with 00000001.jpg ...,
groundtruth.txt (x, y, w, h, 1-based pixels, converted to 0-based), absence.label (1 = absent),
cover.label (visible fraction in eighths, 0-8), cut_by_image.label, meta_info.ini.

A NaN row marks an unknown box and is absent. Test sequences give the first frame's box
only: one row means only frame 0 is labelled.
"""

from pathlib import Path
from typing import Optional

import numpy as np

from ..images import PathLike
from ..lazy import Frames
from ..records import Sequence
from ..textfiles import check_row_count, read_box_rows, read_flags, read_names, require_dir, require_file
from ..tracks import box_track
from .common import frame_paths, sequence_folders

SPLITS = ("train", "val", "test")


def read_got10k(root: PathLike, split: Optional[str] = None) -> list[Sequence]:
    """One Sequence per name in <root>/<split>/list.txt (or <root>/list.txt when split is None)."""
    folder = require_dir(root, "dataset root")
    if split is not None:
        if split not in SPLITS:
            raise ValueError(f"unknown GOT-10k split {split!r}; expected one of {SPLITS}")
        folder = require_dir(folder / split, f"GOT-10k {split} split")
    list_file = require_file(folder / "list.txt", "GOT-10k list.txt")
    return [read_got10k_sequence(path) for path in sequence_folders(folder, read_names(list_file), str(list_file))]


def read_got10k_sequence(folder: PathLike) -> Sequence:
    """One GOT-10k sequence folder."""
    folder = Path(folder)
    frames = frame_paths(folder)
    gt = require_file(folder / "groundtruth.txt", "GOT-10k ground truth")
    rows = read_box_rows(gt)
    rows[:, :2] -= 1
    n = len(frames)
    labelled = None
    if len(rows) == 1 and n > 1:
        labelled = np.zeros(n, dtype=bool)
        labelled[0] = True
        rows = np.vstack([rows, np.full((n - 1, 4), np.nan)])
    check_row_count(len(rows), n, gt, folder)
    flags = {}
    for name, allowed in (("absence", range(2)), ("cover", range(9)), ("cut_by_image", range(2))):
        path = folder / f"{name}.label"
        if path.is_file():
            flags[name] = read_flags(path, n, allowed)
    visible = 1 - flags["absence"] if "absence" in flags else None
    track = box_track(rows, str(gt), visible=visible, labelled=labelled)
    return Sequence(name=folder.name, frames=Frames(frames), track=track, category=_object_class(folder), frame_flags=flags)


def _object_class(folder: Path) -> Optional[str]:
    """The 'object_class' of meta_info.ini, when there is one."""
    meta = folder / "meta_info.ini"
    if not meta.is_file():
        return None
    for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "object_class":
            return value.strip()
    return None
