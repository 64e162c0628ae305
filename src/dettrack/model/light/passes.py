"""Pyramid passes over parts of a frame, and the crops cut out of them.

Many objects tracked in one frame each need the pyramid of a square crop around them. Crops
of about the same scale share one pass over the frame region that holds them; each crop's
cells of the levels the candidates read are cut out of that pass, while masks pool straight
from the pass (the fine level, which only the masks read, is never cut out).
"""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

from torch import Tensor

from ..interface import Window


@dataclass
class FramePass:
    """One pyramid pass over part of a frame: input `index` of `features` ([N, C, h, w] per
    stride) shows the frame from `origin` (x, y, frame pixels) on, at `scale` (x, y) input
    pixels per frame pixel; `input_size` is that input's (height, width), padding included."""

    features: "OrderedDict[str, Tensor]"
    index: int
    origin: tuple[float, float]
    scale: tuple[float, float]
    input_size: tuple[int, int]

    def to_input(self, boxes: Tensor) -> Tensor:
        """Frame-pixel xyxy boxes -> this pass's input pixels."""
        (x0, y0), (sx, sy) = self.origin, self.scale
        return (boxes - boxes.new_tensor([x0, y0, x0, y0])) * boxes.new_tensor([sx, sy, sx, sy])


def crop_passes(features: "OrderedDict[str, Tensor]", windows: Sequence[Window], size: int) -> list[FramePass]:
    """The passes of a batch of crops, one window resized to size x size each."""
    return [FramePass(features, n, (left, top), (size / side, size / side), (size, size)) for n, (left, top, side) in enumerate(windows)]


def scale_groups(windows: Sequence[Window], ratio: float) -> list[list[int]]:
    """Indices of windows grouped by size, each group's sides within `ratio` of its smallest."""
    groups: list[list[int]] = []
    for i in sorted(range(len(windows)), key=lambda i: windows[i][2]):
        if groups and windows[i][2] <= windows[groups[-1][0]][2] * ratio:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def by_pass(passes: Sequence[FramePass]) -> list[list[int]]:
    """Indices of passes grouped by the pyramid they read, in order of first appearance."""
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(passes):
        groups.setdefault(id(p.features), []).append(i)
    return list(groups.values())
