"""Reading frames from videos, folders and streams; writing overlay videos and tracking outputs."""

from .draw import draw_results
from .outputs import OUTPUTS, TrackWriter
from .reader import FrameSource, natural_key, read_image
from .writer import VideoWriter

__all__ = ["OUTPUTS", "FrameSource", "TrackWriter", "VideoWriter", "draw_results", "natural_key", "read_image"]
