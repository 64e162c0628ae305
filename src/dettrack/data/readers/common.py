"""Helpers shared by the readers: choosing sequence folders, pairing masks with frames."""

from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from ..images import IMAGE_EXTENSIONS, PathLike, list_images, natural_key
from ..lazy import FrameMasks
from ..textfiles import require_dir


def sequence_folders(root: PathLike, names: Optional[Iterable[str]] = None, source: str = "") -> list[Path]:
    """The sequence folders in `root`: all sub-folders (hidden ones aside) or exactly `names` (from `source`)."""
    root = require_dir(root, "dataset root")
    if names is None:
        folders = sorted(
            (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: natural_key(p.name)
        )
        where = str(root)
    else:
        folders = [root / name for name in names]
        where = source or str(root)
        for folder in folders:
            if not folder.is_dir():
                raise FileNotFoundError(f"{where}: sequence {folder.name!r} listed but {folder} not found")
    if not folders:
        raise ValueError(f"{where}: no sequences (empty split)")
    return folders


def no_split(kind: str, split: Optional[str]) -> None:
    """A ValueError when a split is asked of a format that has none."""
    if split is not None:
        raise ValueError(f"{kind} has no splits; got split={split!r} (point root at the folder of sequences)")


def masks_for_frames(frames: list[Path], mask_folder: Path) -> list[Optional[Path]]:
    """The mask file of each frame (same file stem) or None; a mask matching no frame is an error."""
    masks = {p.stem: p for p in mask_folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS}
    by_frame = [masks.pop(frame.stem, None) for frame in frames]
    if masks:
        orphan = min(masks.values(), key=lambda p: natural_key(p.name))
        raise ValueError(f"{orphan}: mask has no frame of the same name in {frames[0].parent} ({len(masks)} such masks)")
    return by_frame


def frame_paths(folder: PathLike) -> list[Path]:
    """The image files of a frame folder in order; a folder without any is a ValueError naming it."""
    paths = list_images(folder)
    if not paths:
        raise ValueError(f"{folder}: sequence has no frames (no image files)")
    return paths


def first_labelled_masks(frames: list[Path], mask_folder: Path, object_id: Optional[int] = None) -> FrameMasks:
    """The masks of `frames` from `mask_folder`; the first frame must have one (it defines the object)."""
    masks = FrameMasks(masks_for_frames(frames, mask_folder), object_id)
    if masks.paths[0] is None:
        raise ValueError(f"{mask_folder}: no mask for the first frame {frames[0].name}")
    return masks
