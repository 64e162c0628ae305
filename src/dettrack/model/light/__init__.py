"""The light family: a COCO-trained NanoDet-m turned into a tracker by the paper's template."""

from .converter import ConversionError, load_nanodet_onnx
from .model import FAMILY, LightDetTrack, build_light_model
from .nanodet import NanoDet

__all__ = ["FAMILY", "ConversionError", "LightDetTrack", "NanoDet", "build_light_model", "load_nanodet_onnx"]
