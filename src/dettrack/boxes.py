"""Box formats: (x, y, w, h) at public boundaries, (x1, y1, x2, y2) inside (torchvision's)."""

from typing import Sequence

import numpy as np
import torch
from torch import Tensor
from torchvision.ops import box_convert, box_iou


def xywh_to_xyxy(boxes: Tensor) -> Tensor:
    x, y, w, h = boxes.unbind(-1)
    return torch.stack([x, y, x + w, y + h], dim=-1)


def xyxy_to_xywh(boxes: Tensor) -> Tensor:
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack([x1, y1, x2 - x1, y2 - y1], dim=-1)


def centred_boxes(cx: Tensor, cy: Tensor, w: Tensor, h: Tensor) -> Tensor:
    """xyxy boxes [K, 4] from centres and sizes [K] (torchvision's cxcywh)."""
    return box_convert(torch.stack([cx, cy, w, h], 1), "cxcywh", "xyxy")


def iou_matrix(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> np.ndarray:
    """IoU [len(a), len(b)] of two sets of (x, y, w, h) boxes (torchvision's box_iou)."""
    def xyxy(boxes: Sequence[Sequence[float]]) -> Tensor:
        return xywh_to_xyxy(torch.as_tensor(np.asarray(boxes, dtype=np.float64).reshape(-1, 4)))

    return box_iou(xyxy(a), xyxy(b)).numpy()


def size_groups(sizes: Sequence[float], ratio: float) -> list[list[int]]:
    """Indices of sizes grouped greedily, smallest first, each group's sizes within `ratio` of its smallest."""
    groups: list[list[int]] = []
    for i in sorted(range(len(sizes)), key=sizes.__getitem__):
        if groups and sizes[i] <= sizes[groups[-1][0]] * ratio:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups
