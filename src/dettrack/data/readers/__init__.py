"""One reader per dataset format; each returns Sequence or ImageRecord records."""

from .coco import read_coco, read_coco_file
from .davis import read_davis2016, read_davis2017
from .got10k import read_got10k, read_got10k_sequence
from .imagenet_vid import read_imagenet_vid
from .lasot import read_lasot, read_lasot_sequence
from .otb import read_otb, read_otb_sequence
from .oxuva import read_oxuva
from .segtrack import read_segtrack
from .uav123 import read_uav123
from .vot import read_vot, read_vot_sequence
from .youtube_vos import read_youtube_vos

__all__ = [
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
