"""The given box's convention, carried over to the model's boxes.

A user's first box says what "the object" is: a tight box or a loose one, a person with or
without the swing of their arms, a helmet rather than its player. The network's box for the
same object follows its training data's convention (COCO's and DAVIS's boxes around the whole
visible mask). On the template frame the session sees both; the ratio of their widths and
heights, partly applied to every later candidate, keeps the tracked box in the given box's
convention instead of letting it drift to the network's.
"""

import math
from dataclasses import dataclass

import torch
from torch import Tensor

# the largest correction applied, as a log ratio of sizes (exp(0.5) = 1.65x either way): beyond
# that the network's box on the template frame is more likely another object than another convention
MAX_LOG_RATIO = 0.5


@dataclass(frozen=True)
class BoxCalibration:
    """Scales of width and height applied to a candidate box about its centre (log ratios)."""

    log_width: float = 0.0
    log_height: float = 0.0

    @classmethod
    def measure(cls, given: Tensor, found: Tensor, strength: float) -> "BoxCalibration":
        """The calibration that takes the network's box `found` (xyxy) towards the `given` one
        (xyxy) by `strength` in [0, 1] of their log size ratios, each clamped to ±MAX_LOG_RATIO."""
        given_wh = (given[2:] - given[:2]).clamp(min=1e-3)
        found_wh = (found[2:] - found[:2]).clamp(min=1e-3)
        ratios = (given_wh / found_wh).log().clamp(-MAX_LOG_RATIO, MAX_LOG_RATIO) * strength
        return cls(float(ratios[0]), float(ratios[1]))

    def apply(self, boxes: Tensor) -> Tensor:
        """Boxes [..., 4] (xyxy; the network's) rescaled about their centres into the given box's convention."""
        return _scaled(boxes, self.log_width, self.log_height)

    def undo(self, boxes: Tensor) -> Tensor:
        """Boxes [..., 4] (xyxy) in the given box's convention back in the network's (its masks are cut from those)."""
        return _scaled(boxes, -self.log_width, -self.log_height)


def _scaled(boxes: Tensor, log_width: float, log_height: float) -> Tensor:
    if log_width == 0.0 and log_height == 0.0:
        return boxes
    centre, half = (boxes[..., :2] + boxes[..., 2:]) / 2, (boxes[..., 2:] - boxes[..., :2]) / 2
    half = half * boxes.new_tensor([math.exp(log_width), math.exp(log_height)])
    return torch.cat([centre - half, centre + half], -1)
