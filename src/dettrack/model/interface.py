"""What the tracking session needs of a network, and nothing more.

A tracking model encodes a frame (whole, or as square crops), makes templates from boxes on an
encoding, scores candidates for one or many templates, and segments chosen boxes. Every box at
this boundary is xyxy in the original frame's pixels; how the network resizes or crops is its
own business, recorded in the Encoded it returns.
"""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional, Protocol, Sequence

from torch import Tensor

Window = tuple[int, int, int]  # (left, top, side) of a square in frame pixels


@dataclass
class Encoded:
    """A frame as the network saw it: the pyramid of `batch` inputs, each a window of the frame
    resized to size x size."""

    features: "OrderedDict[str, Tensor]"
    windows: list[Window]
    size: int
    frame_size: tuple[int, int]  # (height, width) of the original frame

    @property
    def batch(self) -> int:
        return len(self.windows)

    def to_input(self, boxes: Tensor, index: int = 0) -> Tensor:
        """Frame-pixel xyxy boxes -> the pixels of input `index`."""
        return window_to_input(boxes, self.windows[index], self.size)

    def to_frame(self, boxes: Tensor, index: int = 0) -> Tensor:
        """Input `index`'s xyxy boxes -> frame pixels."""
        left, top, side = self.windows[index]
        return boxes * (side / self.size) + boxes.new_tensor([left, top, left, top])


def window_to_input(boxes: Tensor, window: Window, size: int) -> Tensor:
    """Frame-pixel xyxy boxes -> pixels of the window's crop resized to size x size."""
    left, top, side = window
    return (boxes - boxes.new_tensor([left, top, left, top])) * (size / side)


@dataclass
class Candidates:
    """One template's candidates on one input, best first: boxes [K, 4] xyxy in frame pixels, scores [K] in [0, 1]."""

    boxes: Tensor
    scores: Tensor


class TrackingModel(Protocol):
    """The interface both model families serve (see model.light.LightDetTrack)."""

    config: dict
    tracking_defaults: dict

    def encode(self, image: Tensor, windows: Optional[Sequence[Window]] = None, size: Optional[int] = None) -> Encoded: ...

    def make_template(self, encoded: Encoded, boxes: Tensor) -> Tensor: ...

    def candidates(self, encoded: Encoded, templates: Optional[Tensor], top_k: int = 100) -> list[Candidates]: ...

    def masks(self, encoded: Encoded, boxes: Tensor, windows: Optional[Sequence[int]] = None) -> Tensor: ...
