"""A learned ranking of the tracking candidates, on top of the fixed blend.

The tracker ranks a crop's cells by 0.5 p + 0.5 r: p the head's object probability (on
template-reweighted features, so it still carries the COCO prior: a helmet or a glass scores
lower than any person or giraffe beside it), r the spatial filter's response. When the target
looks less like an object than its neighbours, p outvotes r. This head adds a learned
correction to that blend, from each cell's tower features, p's logit and r over a 3 x 3
neighbourhood. Its last convolution starts at zero (the blend as it was) and it is trained
with a softmax over the crop's cells (ranking_loss): the target's cells must outrank every
other cell, same-category look-alikes included, which is what the tracker asks of the score.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import box_iou

from .decode import cell_centres
from .losses import positive_cells

RANK_TEMPERATURE = 0.1  # score differences the softmax of ranking_loss resolves


class RankingHead(nn.Module):
    """Score correction [B, 1, H, W] of one level's cells from its tower [B, C, H, W], object
    logit and filter response (each [B, 1, H, W])."""

    def __init__(self, channels: int, hidden: int, reduced: int = 16) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.body = nn.Sequential(nn.Conv2d(reduced + 2, hidden, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(hidden, 1, 1))
        nn.init.zeros_(self.body[2].weight)
        nn.init.zeros_(self.body[2].bias)

    def forward(self, tower: Tensor, logit: Tensor, response: Tensor) -> Tensor:
        return self.body(torch.cat([self.reduce(tower), logit, response], 1))


def blend(probs: Tensor, responses: Tensor, weight: float) -> Tensor:
    """The fixed ranking score: (1 - weight) p + weight r, r clamped to [0, 1]."""
    return (1 - weight) * probs + weight * responses.clamp(0, 1)


def ranking_loss(scores: Tensor, quality: Tensor) -> Tensor:
    """Cross-entropy of the softmax over each crop's cells (scores [B, N] / RANK_TEMPERATURE)
    against its positive cells weighted by quality [B, N] (the cell box's IoU with the
    object); crops without a positive cell (object absent) do not count."""
    present = quality.sum(1) > 0
    if not present.any():
        return scores.sum() * 0.0
    target = quality[present] / quality[present].sum(1, keepdim=True)
    return -(target * F.log_softmax(scores[present] / RANK_TEMPERATURE, 1)).sum(1).mean()


def ranking_targets(boxes: Tensor, targets: list[Tensor], sizes: list[tuple[int, int]], strides: list[int]) -> Tensor:
    """Quality [B, N] of the cells of the given levels: at the object's positive cells
    (losses.positive_cells) the IoU of their boxes [B, N, 4] with it, 0 elsewhere and where
    the object is absent (targets[i] empty)."""
    centres = torch.cat([cell_centres(h, w, s, boxes.device) for (h, w), s in zip(sizes, strides)])
    cell_strides = torch.cat([torch.full((h * w,), float(s), device=boxes.device) for (h, w), s in zip(sizes, strides)])
    quality = boxes.new_zeros(boxes.shape[:2])
    for i, target in enumerate(targets):
        if target.numel():
            positive = positive_cells(target, centres, cell_strides)
            quality[i, positive] = box_iou(boxes[i, positive], target[None])[:, 0].clamp(min=0.05)
    return quality
