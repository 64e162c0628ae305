"""Tracking: one session for every model family (TemplateTracker, open_session), its settings, and Tracker for one object.

Imported on first use: the settings (TrackingSettings) need no torch.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "TrackResult": "..types",
    "ClassTracker": ".auto",
    "ClassTracking": ".settings",
    "check_box": ".inputs",
    "frame_to_tensor": ".inputs",
    "MotionPrior": ".motion",
    "TemplateTracker": ".session",
    "Tracker": ".session",
    "open_session": ".session",
    "TrackingSettings": ".settings",
    "TemporalSmoother": ".smoothing",
    "mask_iou": ".smoothing",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from ..types import TrackResult
    from .auto import ClassTracker
    from .inputs import check_box, frame_to_tensor
    from .motion import MotionPrior
    from .session import TemplateTracker, Tracker, open_session
    from .settings import ClassTracking, TrackingSettings
    from .smoothing import TemporalSmoother, mask_iou
