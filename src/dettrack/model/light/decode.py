"""From NanoDet's dense outputs to boxes: cell centres, GFL distance expectations, NMS."""

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import batched_nms

from .nanodet import REG_MAX


def cell_centres(height: int, width: int, stride: int, device: torch.device) -> Tensor:
    """(x, y) input-pixel centres of a level's cells, row-major: ((j + 0.5) s, (i + 0.5) s) -> [H*W, 2]."""
    ys = (torch.arange(height, device=device, dtype=torch.float32) + 0.5) * stride
    xs = (torch.arange(width, device=device, dtype=torch.float32) + 0.5) * stride
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=-1)


def distances(reg_logits: Tensor, stride: int) -> Tensor:
    """[B, 4 * (REG_MAX + 1), H, W] distance logits -> [B, H*W, 4] (left, top, right, bottom) in input pixels."""
    b, _, h, w = reg_logits.shape
    probs = F.softmax(reg_logits.view(b, 4, REG_MAX + 1, h * w), dim=2)
    bins = torch.arange(REG_MAX + 1, device=reg_logits.device, dtype=probs.dtype).view(1, 1, -1, 1)
    return ((probs * bins).sum(2) * stride).transpose(1, 2)


def decode_level(reg_logits: Tensor, stride: int) -> Tensor:
    """A level's boxes [B, H*W, 4] (x1, y1, x2, y2) in input pixels."""
    centres = cell_centres(reg_logits.shape[-2], reg_logits.shape[-1], stride, reg_logits.device)
    d = distances(reg_logits, stride)
    return torch.cat([centres - d[..., :2], centres + d[..., 2:]], dim=-1)


def detections(
    scores: Tensor, boxes: Tensor, score_threshold: float = 0.05, iou_threshold: float = 0.6, max_detections: int = 100
) -> dict[str, Tensor]:
    """NanoDet's evaluation rule for one image: every (cell, class) above score_threshold, NMS per class.

    scores: [N, C] class probabilities of all cells; boxes: [N, 4]. Returns boxes, scores, labels (0..C-1).
    """
    cell, label = torch.nonzero(scores > score_threshold, as_tuple=True)
    kept_scores = scores[cell, label]
    kept_boxes = boxes[cell]
    keep = batched_nms(kept_boxes, kept_scores, label, iou_threshold)[:max_detections]
    return {"boxes": kept_boxes[keep], "scores": kept_scores[keep], "labels": label[keep]}
