"""A motion prior for candidate selection: the object moves little and changes size slowly.

The network's candidates are re-ranked against the previous answer the way Siamese
trackers do it (SiamRPN's scale-change penalty and cosine window): a candidate far from
the last position, or of a very different size or shape, needs a higher score to win. The
reported box's size then follows the winner's at a rate set by its score, so one bad
frame cannot blow the box (and the next search region) up. The defaults (no window, no
penalty, size_rate 1) are the paper's stateless tracker: the top-scoring candidate wins as it is.
"""

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class MotionPrior:
    """window_influence: weight of the position prior (0: none, 1: position only);
    scale_penalty: how fast the score falls with the size and aspect change;
    size_rate: 1 takes the winner's size as it is; below 1 the reported size moves
    size_rate x score of the way to the winner's per frame (SiamRPN's update); span: the window's width in multiples of the last box's size
    (the search region's context: the window is 0 at the region's border)."""

    window_influence: float = 0.0
    scale_penalty: float = 0.0
    size_rate: float = 1.0
    span: float = 4.0

    def __post_init__(self) -> None:
        for name in ("window_influence", "size_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.scale_penalty < 0 or self.span <= 0:
            raise ValueError("scale_penalty must be >= 0 and span > 0")

    @property
    def reranks(self) -> bool:
        return self.window_influence > 0 or self.scale_penalty > 0

    def rank(self, boxes: Tensor, scores: Tensor, previous: Tensor) -> Tensor:
        """Ranking scores of candidates [K, 4] (xyxy) with object probabilities [K], given the
        previous answer [4] (xyxy) in the same coordinates."""
        wh = (boxes[:, 2:] - boxes[:, :2]).clamp(min=1e-3)
        prev_wh = (previous[2:] - previous[:2]).clamp(min=1e-3)
        size, prev_size = wh.prod(1).sqrt(), prev_wh.prod().sqrt()
        size_change = torch.maximum(size / prev_size, prev_size / size)
        aspect = (wh[:, 0] / wh[:, 1]) / (prev_wh[0] / prev_wh[1])
        aspect_change = torch.maximum(aspect, 1 / aspect)
        penalty = torch.exp(-self.scale_penalty * (size_change * aspect_change - 1))
        offset = ((boxes[:, :2] + boxes[:, 2:]) - (previous[:2] + previous[2:])) / 2 / (self.span * prev_size)
        window = (0.5 + 0.5 * torch.cos(2 * math.pi * offset.clamp(-0.5, 0.5))).prod(1)
        return scores * penalty * (1 - self.window_influence) + window * self.window_influence

    def follow(self, previous_xywh: tuple[float, ...], winner_xywh: tuple[float, ...], score: float) -> tuple[float, float, float, float]:
        """The reported box: the winner's centre, its size reached at rate size_rate x score."""
        x, y, w, h = winner_xywh
        if self.size_rate >= 1:
            return (x, y, w, h)
        rate = self.size_rate * min(max(score, 0.0), 1.0)
        new_w = previous_xywh[2] * (1 - rate) + w * rate
        new_h = previous_xywh[3] * (1 - rate) + h * rate
        cx, cy = x + w / 2, y + h / 2
        return (cx - new_w / 2, cy - new_h / 2, new_w, new_h)
