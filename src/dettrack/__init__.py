"""dettrack: track and segment any object from one box with a Mask R-CNN that is also a detector.

"Learning to Track Any Object" (Dave, Tokmakov, Schmid, Ramanan, 2019).
"""

from .detection import detect
from .loading import load_model
from .model import DetTrack, build_model, load_checkpoint, save_checkpoint
from .pretrained import load_pretrained
from .tracking import MultiTracker, Tracker
from .types import Detections, TrackResult
from .video import FrameSource, read_image

__version__ = "0.1.0"

__all__ = [
    "DetTrack", "Detections", "FrameSource", "MultiTracker", "TrackResult", "Tracker", "build_model", "detect",
    "load_checkpoint", "load_model", "load_pretrained", "read_image", "save_checkpoint",
]
