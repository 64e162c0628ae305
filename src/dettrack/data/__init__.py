"""Dataset readers: every format gives the same lazily-loading records.

- `Sequence`: one object in one video; frames and masks are read from disk when indexed;
  boxes are (x, y, w, h) in 0-based pixels with NaN rows where the object is absent.
- `ImageRecord`: one annotated image with instance boxes, labels and masks decoded on demand.

`open_dataset(kind, root, split)` picks the reader by name (see READERS).
"""

from .images import list_images, load_image
from .lazy import FrameMasks, Frames
from .readers import (
    read_coco,
    read_coco_file,
    read_davis2016,
    read_davis2017,
    read_got10k,
    read_got10k_sequence,
    read_imagenet_vid,
    read_lasot,
    read_lasot_sequence,
    read_otb,
    read_otb_sequence,
    read_oxuva,
    read_segtrack,
    read_uav123,
    read_vot,
    read_vot_sequence,
    read_youtube_vos,
)
from .records import ImageRecord, InstanceMasks, Sequence
from .registry import READERS, open_dataset
from .tracks import BoxTrack, MaskTrack, NormalisedTrack, Track

__all__ = [
    "READERS",
    "BoxTrack",
    "FrameMasks",
    "Frames",
    "ImageRecord",
    "InstanceMasks",
    "MaskTrack",
    "NormalisedTrack",
    "Sequence",
    "Track",
    "list_images",
    "load_image",
    "open_dataset",
    "read_coco",
    "read_coco_file",
    "read_davis2016",
    "read_davis2017",
    "read_got10k",
    "read_got10k_sequence",
    "read_imagenet_vid",
    "read_lasot",
    "read_lasot_sequence",
    "read_otb",
    "read_otb_sequence",
    "read_oxuva",
    "read_segtrack",
    "read_uav123",
    "read_vot",
    "read_vot_sequence",
    "read_youtube_vos",
]
