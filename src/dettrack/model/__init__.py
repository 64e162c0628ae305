"""The unified detector / tracker network and its parts."""

from .attention import reweight, similarity
from .backbone import BACKBONES, build_backbone
from .checkpoint import FORMAT_VERSION, load_checkpoint, read_checkpoint, save_checkpoint
from .dettrack import DetTrack, build_model
from .template import TEMPLATE_VARIANTS, TemplateBuilder, fpn_level, ridge_template
from .weights import load_torchvision_maskrcnn

__all__ = [
    "BACKBONES",
    "FORMAT_VERSION",
    "TEMPLATE_VARIANTS",
    "DetTrack",
    "TemplateBuilder",
    "build_backbone",
    "build_model",
    "fpn_level",
    "load_checkpoint",
    "load_torchvision_maskrcnn",
    "read_checkpoint",
    "reweight",
    "ridge_template",
    "save_checkpoint",
    "similarity",
]
