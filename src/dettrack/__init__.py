"""dettrack: track and segment any object from one box with a network that is also an object detector.

"Learning to Track Any Object" (Dave, Tokmakov, Schmid, Ramanan, 2019).
"""

from .detection import detect
from .loading import load_model
from .model import DetTrack, build_model, load_checkpoint, save_checkpoint
from .model.light import LightDetTrack, build_light_model
from .pretrained import load_pretrained
from .tracking import TemplateTracker, Tracker, TrackingSettings, open_session
from .types import Detections, TrackResult
from .video import FrameSource, read_image

__version__ = "0.1.0"

__all__ = [
    "DetTrack", "Detections", "FrameSource", "LightDetTrack", "TemplateTracker", "TrackResult", "Tracker",
    "TrackingSettings", "build_light_model", "build_model", "detect", "load_checkpoint", "load_model", "load_pretrained",
    "open_session", "read_image", "save_checkpoint",
]
