"""LaSOT: <root>/<category>/<category>-<n>/img/00000001.jpg with groundtruth.txt (x, y, w, h,
1-based pixels, converted to 0-based), full_occlusion.txt and out_of_view.txt (0/1 per frame,
comma-separated); the object is absent where either flag is 1.

Splits: 'train' and 'test' read the official training_set.txt / testing_set.txt (sequence
names such as airplane-1) from the root; without a split every sequence is read.
"""

from pathlib import Path
from typing import Optional

from ..images import PathLike, natural_key
from ..lazy import Frames
from ..records import Sequence
from ..textfiles import check_row_count, read_box_rows, read_flags, read_names, require_dir, require_file
from ..tracks import box_track
from .common import frame_paths

SPLIT_FILES = {"train": "training_set.txt", "test": "testing_set.txt"}


def read_lasot(root: PathLike, split: Optional[str] = None) -> list[Sequence]:
    """One Sequence per LaSOT video under `root`, or per name in the split's list file."""
    root = require_dir(root, "dataset root")
    if split is None:
        folders = [
            video
            for category in sorted(root.iterdir(), key=lambda p: natural_key(p.name))
            if category.is_dir() and not category.name.startswith(".")
            for video in sorted(category.iterdir(), key=lambda p: natural_key(p.name))
            if video.is_dir() and video.name.startswith(f"{category.name}-")
        ]
        source = str(root)
    else:
        if split not in SPLIT_FILES:
            raise ValueError(f"unknown LaSOT split {split!r}; expected one of {tuple(SPLIT_FILES)}")
        list_file = require_file(root / SPLIT_FILES[split], f"LaSOT {split} split file")
        folders = [root / name.rsplit("-", 1)[0] / name for name in read_names(list_file)]
        source = str(list_file)
        for folder in folders:
            require_dir(folder, f"sequence listed in {list_file}")
    if not folders:
        raise ValueError(f"{source}: no sequences (empty split)")
    return [read_lasot_sequence(folder) for folder in folders]


def read_lasot_sequence(folder: PathLike) -> Sequence:
    """One LaSOT video folder."""
    folder = Path(folder)
    frames = frame_paths(folder / "img")
    gt = require_file(folder / "groundtruth.txt", "LaSOT ground truth")
    rows = read_box_rows(gt)
    rows[:, :2] -= 1
    check_row_count(len(rows), len(frames), gt, folder / "img")
    flags = {
        name: read_flags(require_file(folder / f"{name}.txt", f"LaSOT {name} flags"), len(frames))
        for name in ("full_occlusion", "out_of_view")
    }
    visible = (flags["full_occlusion"] == 0) & (flags["out_of_view"] == 0)
    return Sequence(
        name=folder.name,
        frames=Frames(frames),
        track=box_track(rows, str(gt), visible=visible),
        category=folder.parent.name,
        frame_flags=flags,
    )
