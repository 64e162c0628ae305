"""Tracking sessions: the light family's TemplateTracker, the Mask R-CNN family's MultiTracker, and Tracker for one object."""

from ..types import TrackResult
from .inputs import check_box, frame_to_tensor
from .motion import MotionPrior
from .session import TemplateTracker, Tracker, open_session
from .settings import TrackingSettings
from .smoothing import TemporalSmoother, mask_iou
from .tracker import MultiTracker

__all__ = [
    "MotionPrior",
    "MultiTracker",
    "TemplateTracker",
    "TemporalSmoother",
    "TrackResult",
    "Tracker",
    "TrackingSettings",
    "check_box",
    "frame_to_tensor",
    "mask_iou",
    "open_session",
]
