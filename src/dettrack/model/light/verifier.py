"""The identity verifier: the paper's ridge regression, at the level of whole boxes.

T_d and the spatial filter score cells. Whether a tracked box *is the object* is a question about
the whole box: its look against everything else the template frame showed. The verifier answers it
with the same closed-form ridge regression as T_d, on box descriptors: the stride-8 map RoI-aligned
into 4 x 4 bins and L2-normalised (1536 values). Positives are the object's box and small shifts and
rescalings of it; negatives are boxes of the object's size all over the template crop, the boxes
the detector finds there (the other objects, look-alikes among them) and the template's own best
candidates there that miss the object (its rivals). The solution is scaled
so that the positives answer 1 on average: a candidate's identity is about 1 when it looks like the
object and about 0 when it looks like the rest of the template frame, whatever the object's class
or size, which is what makes it a confidence calibrated per object. No learned weights.
"""

import torch
from torch import Tensor
from torchvision.ops import box_iou

from ...boxes import centred_boxes
from ..roi_align import roi_align

VERIFIER_STRIDE = 8  # the pyramid level the descriptors pool from
VERIFIER_BINS = 4  # RoIAlign output side: 4 x 4 bins x channels
GRID = 9  # negatives: the object's box centred on GRID x GRID points of the crop, at three scales
NEGATIVE_IOU = 0.3  # a negative overlaps the object by less than this


def describe(fmap: Tensor, rois: Tensor) -> Tensor:
    """Unit descriptors [K, C * 16] of rois [K, 5] (batch index, xyxy input pixels) on stride-8 maps [N, C, H, W]."""
    pooled = roi_align(fmap.float(), rois.float(), VERIFIER_BINS, 1.0 / VERIFIER_STRIDE, 2, True).flatten(1)
    return pooled / pooled.norm(dim=1, keepdim=True).clamp(min=1e-6)


def sample_boxes(box: Tensor, size: int, others: Tensor) -> tuple[Tensor, Tensor]:
    """Positive and negative boxes (xyxy input pixels) for the object in `box` [4] on a size x size
    input, `others` [M, 4] the detector's boxes there: (positives [19, 4], negatives [N, 4])."""
    box = box.float()
    x1, y1, x2, y2 = box.tolist()
    w, h = x2 - x1, y2 - y1
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    steps = [(dx, dy, s) for dx in (-0.1, 0.0, 0.1) for dy in (-0.1, 0.0, 0.1) for s in (0.9, 1.1)]
    shifts = torch.tensor(steps, device=box.device)
    positives = torch.cat([box[None], centred_boxes(cx + shifts[:, 0] * w, cy + shifts[:, 1] * h, shifts[:, 2] * w, shifts[:, 2] * h)])
    points = torch.linspace(0, size, GRID + 2)[1:-1].tolist()
    grid = torch.tensor([(px, py, s) for py in points for px in points for s in (0.7, 1.0, 1.4)], device=box.device)
    negatives = torch.cat([centred_boxes(grid[:, 0], grid[:, 1], grid[:, 2] * w, grid[:, 2] * h), others.float().reshape(-1, 4)])
    negatives = negatives[box_iou(negatives, box[None])[:, 0] < NEGATIVE_IOU]
    return positives, negatives
