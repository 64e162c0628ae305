"""The frame and result types every layer shares (readers, tracking, outputs, the CLI).

They live at the bottom of the package so that video/, tracking/ and the commands
can all use them without importing each other.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

import numpy as np

if TYPE_CHECKING:
    from torch import Tensor

# A frame at the public API: H x W x 3 uint8 RGB (numpy or torch); see tracking.inputs.frame_to_tensor
Frame = Union[np.ndarray, "Tensor"]


@dataclass(frozen=True)
class TrackResult:
    """One frame's answer. box: (x, y, w, h) in original pixels; mask: H x W bool or None."""

    box: tuple[float, float, float, float]
    score: float
    present: bool
    mask: Optional[np.ndarray]


# the detection score kept by default (`dettrack detect`, dettrack.detect): the threshold of best F1
# (IoU 0.5) for the shipped model on the COCO images it trained on (benchmarks/detection_threshold.py)
DETECTION_SCORE = 0.3


@dataclass(frozen=True)
class Detections:
    """One image's detections, best first. boxes: [N, 4] (x, y, w, h) in pixels; labels: [N]
    class ids; names: their class names; scores: [N]; masks: [N, H, W] bool (None when not asked for)."""

    boxes: np.ndarray
    labels: np.ndarray
    names: list[str]
    scores: np.ndarray
    masks: Optional[np.ndarray]

    def __len__(self) -> int:
        return len(self.scores)
