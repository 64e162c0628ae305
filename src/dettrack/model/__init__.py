"""The unified detector / tracker network and its parts: both model families (families.py).

Imported on first use: the family registry (families.py) needs no torch, so recipes are checked
before torch is imported.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "reweight": ".attention",
    "similarity": ".attention",
    "BACKBONES": ".backbone",
    "build_backbone": ".backbone",
    "FORMAT_VERSION": ".checkpoint",
    "load_checkpoint": ".checkpoint",
    "read_checkpoint": ".checkpoint",
    "save_checkpoint": ".checkpoint",
    "DetTrack": ".dettrack",
    "build_model": ".dettrack",
    "FAMILIES": ".families",
    "family_of": ".families",
    "TrackingModel": ".interface",
    "TEMPLATE_VARIANTS": ".template",
    "TemplateBuilder": ".template",
    "fpn_level": ".template",
    "ridge_template": ".template",
    "load_torchvision_maskrcnn": ".weights",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from .attention import reweight, similarity
    from .backbone import BACKBONES, build_backbone
    from .checkpoint import FORMAT_VERSION, load_checkpoint, read_checkpoint, save_checkpoint
    from .dettrack import DetTrack, build_model
    from .families import FAMILIES, family_of
    from .interface import TrackingModel
    from .template import TEMPLATE_VARIANTS, TemplateBuilder, fpn_level, ridge_template
    from .weights import load_torchvision_maskrcnn
