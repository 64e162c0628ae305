"""Tracking sessions built on the DetTrack network."""

from .inputs import check_box, frame_to_tensor
from .motion import MotionPrior
from .smoothing import TemporalSmoother, mask_iou
from ..types import TrackResult
from .tracker import MultiTracker, Tracker

__all__ = ["MotionPrior", "MultiTracker", "TemporalSmoother", "TrackResult", "Tracker", "check_box", "frame_to_tensor", "mask_iou"]
