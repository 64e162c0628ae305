"""SegTrack-style folders: <root>/<seq>/JPEGImages/*.jpg with <root>/<seq>/Annotations/*.png,
one 0/255 mask per frame of the same file name (one object per sequence)."""

from typing import Optional

from ..images import PathLike
from ..lazy import Frames
from ..records import Sequence
from ..textfiles import require_dir
from ..tracks import MaskTrack
from .common import first_labelled_masks, frame_paths, no_split, sequence_folders


def read_segtrack(root: PathLike, split: Optional[str] = None) -> list[Sequence]:
    """One Sequence per sequence folder in `root`."""
    no_split("segtrack", split)
    sequences = []
    for folder in sequence_folders(root):
        frames = frame_paths(require_dir(folder / "JPEGImages", "SegTrack frame folder"))
        masks = first_labelled_masks(frames, require_dir(folder / "Annotations", "SegTrack annotation folder"))
        sequences.append(Sequence(name=folder.name, frames=Frames(frames), track=MaskTrack(masks), masks=masks))
    return sequences
