"""Tracking: one session for every model family (TemplateTracker, open_session), its settings, and Tracker for one object."""

from ..types import TrackResult
from .inputs import check_box, frame_to_tensor
from .motion import MotionPrior
from .session import TemplateTracker, Tracker, open_session
from .settings import TrackingSettings
from .smoothing import TemporalSmoother, mask_iou

__all__ = [
    "MotionPrior",
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
