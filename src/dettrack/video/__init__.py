"""Reading frames from videos, folders and streams; writing overlay videos."""

from .draw import draw_results
from .reader import FrameSource, natural_key, read_image
from .writer import VideoWriter

__all__ = ["FrameSource", "VideoWriter", "draw_results", "natural_key", "read_image"]
