"""DAVIS 2016 and 2017: <root>/JPEGImages/480p/<seq>/00000.jpg with masks in
<root>/Annotations/480p/<seq>/00000.png.

DAVIS 2016: one object per video, 0/255 masks (any non-zero palette index of a 2017-style
mask counts as the object). DAVIS 2017: palette PNGs, index k = object k; the objects are
those in the first frame's mask, one Sequence '<seq>/<k>' each. Frames without a mask
(test-dev) are unlabelled. Splits come from ImageSets: ImageSets/2017/<split>.txt or
ImageSets/2016/<split>.txt (names), or the original 2016 ImageSets/480p/<split>.txt
(lines of image and mask paths).
"""

import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from ..images import PathLike
from ..lazy import FrameMasks, Frames, read_label_image
from ..records import Sequence
from ..textfiles import read_names, require_dir
from ..tracks import MaskTrack
from .common import first_labelled_masks, frame_paths, sequence_folders


def read_davis2016(root: PathLike, split: Optional[str] = None, resolution: str = "480p") -> list[Sequence]:
    """One single-object Sequence per DAVIS video."""
    sequences = []
    for images, annotations in _videos(root, split, resolution, "2016"):
        frames = frame_paths(images)
        masks = first_labelled_masks(frames, annotations)
        sequences.append(Sequence(name=images.name, frames=Frames(frames), track=MaskTrack(masks), masks=masks))
    return sequences


def read_davis2017(root: PathLike, split: Optional[str] = None, resolution: str = "480p") -> list[Sequence]:
    """One Sequence per object (palette index in the first frame's mask) per DAVIS video."""
    sequences, empty = [], 0
    for images, annotations in _videos(root, split, resolution, "2017"):
        frames = frame_paths(images)
        first = first_labelled_masks(frames, annotations)
        ids = np.unique(read_label_image(first.paths[0]))
        empty += not ids.any()
        for object_id in (int(i) for i in ids[ids != 0]):
            masks = FrameMasks(first.paths, object_id)
            sequences.append(
                Sequence(
                    name=f"{images.name}/{object_id}",
                    frames=Frames(frames),
                    track=MaskTrack(masks),
                    masks=masks,
                    video=images.name,
                    object_id=object_id,
                )
            )
    if empty:
        warnings.warn(f"{root}: skipped {empty} videos whose first mask holds no object", stacklevel=2)
    return sequences


def _videos(root: PathLike, split: Optional[str], resolution: str, year: str) -> list[tuple[Path, Path]]:
    root = require_dir(root, "dataset root")
    image_root = require_dir(root / "JPEGImages" / resolution, "DAVIS frame folder")
    mask_root = require_dir(root / "Annotations" / resolution, "DAVIS annotation folder")
    names, source = None, ""
    if split is not None:
        names, source = _split_names(root, split, year, resolution)
    return [
        (folder, require_dir(mask_root / folder.name, "DAVIS annotation folder"))
        for folder in sequence_folders(image_root, names, source)
    ]


def _split_names(root: Path, split: str, year: str, resolution: str) -> tuple[list[str], str]:
    candidates = [root / "ImageSets" / year / f"{split}.txt"]
    if year == "2016":
        candidates.append(root / "ImageSets" / resolution / f"{split}.txt")
    for path in candidates:
        if path.is_file():
            names = [Path(entry).parent.name if "/" in entry else entry for entry in read_names(path)]
            return list(dict.fromkeys(names)), str(path)
    raise FileNotFoundError(f"{candidates[0]}: DAVIS split file for split {split!r} not found")
