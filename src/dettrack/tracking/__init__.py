"""Tracking sessions built on the DetTrack network."""

from .inputs import check_box, frame_to_tensor
from .smoothing import TemporalSmoother, mask_iou
from .tracker import Tracker, TrackResult

__all__ = ["TemporalSmoother", "TrackResult", "Tracker", "check_box", "frame_to_tensor", "mask_iou"]
