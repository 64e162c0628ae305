"""dettrack: track and segment any object from one box with a network that is also an object detector.

"Learning to Track Any Object" (Dave, Tokmakov, Schmid, Ramanan, 2019). The public names below are
imported on first use, so that `import dettrack` (and the command line's first message) does not
wait for torch.
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "detect": ".detection",
    "load_model": ".loading",
    "DetTrack": ".model",
    "build_model": ".model",
    "load_checkpoint": ".model",
    "save_checkpoint": ".model",
    "LightDetTrack": ".model.light",
    "build_light_model": ".model.light",
    "load_pretrained": ".pretrained",
    "ClassTracker": ".tracking",
    "ClassTracking": ".tracking",
    "TemplateTracker": ".tracking",
    "Tracker": ".tracking",
    "TrackingSettings": ".tracking",
    "open_session": ".tracking",
    "Detections": ".types",
    "TrackResult": ".types",
    "FrameSource": ".video",
    "read_image": ".video",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from .detection import detect
    from .loading import load_model
    from .model import DetTrack, build_model, load_checkpoint, save_checkpoint
    from .model.light import LightDetTrack, build_light_model
    from .pretrained import load_pretrained
    from .tracking import ClassTracker, ClassTracking, TemplateTracker, Tracker, TrackingSettings, open_session
    from .types import Detections, TrackResult
    from .video import FrameSource, read_image
