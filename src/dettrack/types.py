"""The frame and result types every layer shares (readers, tracking, outputs, the CLI).

They live at the bottom of the package so that video/, tracking/ and the commands
can all use them without importing each other.
"""

from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
from torch import Tensor

# A frame at the public API: H x W x 3 uint8 RGB (numpy or torch); see tracking.inputs.frame_to_tensor
Frame = Union[np.ndarray, Tensor]


@dataclass(frozen=True)
class TrackResult:
    """One frame's answer. box: (x, y, w, h) in original pixels; mask: H x W bool or None."""

    box: tuple[float, float, float, float]
    score: float
    present: bool
    mask: Optional[np.ndarray]
