"""Training losses of the light family: GFL's losses for the one tracked object, distillation, masks.

Tracking: cells near the object's centre on the levels whose distance range holds it are
positives (FCOS-style centre sampling); the object logit learns the IoU of the cell's box
with the object (quality focal loss), the box learns GIoU and the distribution focal loss.
Detection batches keep the COCO detector: the student's class probabilities and distance
distributions are pulled towards the original detector's (the teacher's) on the same input.
"""

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.models.detection.roi_heads import project_masks_on_boxes
from torchvision.ops import box_iou, generalized_box_iou_loss

from .decode import cell_centres
from .nanodet import REG_MAX, STRIDES

CENTRE_RADIUS = 2.5  # strides around the object's centre that count as positive cells


def cell_layout(sizes: list[tuple[int, int]], device: torch.device) -> tuple[Tensor, Tensor]:
    """Centres [N, 2] and strides [N] of all cells of the levels (sizes: (H, W) per level, STRIDES order)."""
    centres = [cell_centres(h, w, s, device) for (h, w), s in zip(sizes, STRIDES)]
    strides = [torch.full((h * w,), float(s), device=device) for (h, w), s in zip(sizes, STRIDES)]
    return torch.cat(centres), torch.cat(strides)


def positive_cells(box: Tensor, centres: Tensor, strides: Tensor) -> Tensor:
    """Cells [N] bool that learn the object (box [4], input pixels): centre inside the box and within
    CENTRE_RADIUS strides of the box centre, on a level whose distance range reaches the box edges.
    A box too small for any cell gets the finest level's cell nearest its centre."""
    middle = (box[:2] + box[2:]) / 2
    sides = torch.cat([centres - box[:2], box[2:] - centres], dim=1)  # l, t, r, b
    inside = sides.min(1).values > 0
    near = ((centres - middle).abs() <= CENTRE_RADIUS * strides[:, None]).all(1)
    reach = sides.max(1).values <= REG_MAX * strides
    positive = inside & near & reach
    if not positive.any():
        finest = strides == strides.min()
        distance = (centres - middle).norm(dim=1).masked_fill(~finest, float("inf"))
        positive[distance.argmin()] = True
    return positive


def tracking_losses(logits: Tensor, boxes: Tensor, regs: Tensor, targets: list[Tensor], sizes: list[tuple[int, int]]) -> dict[str, Tensor]:
    """Losses for B search inputs: logits [B, N], decoded boxes [B, N, 4], distance logits [B, N, 32],
    targets: each a [4] box in input pixels or an empty tensor (object absent)."""
    centres, strides = cell_layout(sizes, logits.device)
    quality = torch.zeros_like(logits)
    box_terms, dfl_terms, weights = [], [], []
    for i, target in enumerate(targets):
        if target.numel() == 0:
            continue
        positive = positive_cells(target, centres, strides)
        predicted = boxes[i, positive]
        iou = box_iou(predicted.detach(), target[None])[:, 0].clamp(min=0.0)
        quality[i, positive] = iou
        weight = iou.clamp(min=0.1)  # GFL weights boxes by their quality; a floor keeps early boxes learning
        box_terms.append(generalized_box_iou_loss(predicted, target.expand_as(predicted), reduction="none") * weight)
        dfl_terms.append(distribution_focal_loss(regs[i, positive], target, centres[positive], strides[positive]) * weight)
        weights.append(weight)
    count = max(sum(len(w) for w in weights), 1)
    cls = quality_focal_loss(logits, quality).sum() / count
    if not weights:
        zero = regs.sum() * 0.0
        return {"loss_track_cls": cls, "loss_track_box": zero, "loss_track_dfl": zero}
    total_weight = torch.cat(weights).sum().clamp(min=1e-6)
    return {
        "loss_track_cls": cls,
        "loss_track_box": torch.cat(box_terms).sum() / total_weight * 2.0,
        "loss_track_dfl": torch.cat(dfl_terms).sum() / total_weight * 0.25,
    }


def quality_focal_loss(logits: Tensor, quality: Tensor, beta: float = 2.0) -> Tensor:
    """GFL's quality focal loss: BCE towards the IoU target, scaled by |sigmoid - target|^beta."""
    scale = (logits.sigmoid() - quality).abs().pow(beta).detach()
    return F.binary_cross_entropy_with_logits(logits, quality, reduction="none") * scale


def distribution_focal_loss(regs: Tensor, box: Tensor, centres: Tensor, strides: Tensor) -> Tensor:
    """DFL of K cells' distance logits [K, 32] towards the box's true distances (in strides), per cell [K]."""
    sides = torch.cat([centres - box[:2], box[2:] - centres], dim=1) / strides[:, None]
    target = sides.clamp(0, REG_MAX - 0.01)
    left = target.floor().long()
    right_weight = target - left
    logits = regs.view(-1, 4, REG_MAX + 1)
    log_p = F.log_softmax(logits, dim=-1)
    loss = -(log_p.gather(-1, left[..., None])[..., 0] * (1 - right_weight) + log_p.gather(-1, (left + 1)[..., None])[..., 0] * right_weight)
    return loss.mean(1)


def distillation_losses(student: list[tuple[Tensor, Tensor]], teacher: list[tuple[Tensor, Tensor]]) -> dict[str, Tensor]:
    """Keep the COCO detector: per level (class logits, distance logits) of the student against the teacher's.

    Classes: BCE towards the teacher's probabilities, summed over classes, averaged over cells.
    Boxes: KL divergence of the distance distributions where the teacher sees an object (p > 0.1).
    """
    cls_terms, box_terms = [], []
    for (s_cls, s_reg), (t_cls, t_reg) in zip(student, teacher):
        target = t_cls.sigmoid()
        cls_terms.append(F.binary_cross_entropy_with_logits(s_cls, target, reduction="none").sum(1).flatten())
        confident = (target.amax(1) > 0.1).flatten()  # [B*H*W]
        b, _, h, w = s_reg.shape
        s_log = F.log_softmax(s_reg.view(b, 4, REG_MAX + 1, h * w), dim=2)
        t_log = F.log_softmax(t_reg.view(b, 4, REG_MAX + 1, h * w), dim=2)
        kl = (t_log.exp() * (t_log - s_log)).sum(2).sum(1).flatten()  # [B*H*W]
        box_terms.append(kl[confident])
    # subtract the teacher's own entropy so a perfect student scores 0
    cls = torch.cat(cls_terms).mean() - _bce_floor(teacher)
    boxes = torch.cat(box_terms)
    return {"loss_distill_cls": cls, "loss_distill_box": boxes.mean() if len(boxes) else cls * 0.0}


def _bce_floor(teacher: list[tuple[Tensor, Tensor]]) -> Tensor:
    terms = []
    for t_cls, _ in teacher:
        p = t_cls.sigmoid()
        terms.append(F.binary_cross_entropy(p, p, reduction="none").sum(1).flatten())
    return torch.cat(terms).mean().detach()


def mask_loss(mask_logits: Tensor, boxes: Tensor, masks: Tensor) -> Tensor:
    """BCE of [K, 1, M, M] mask logits against K full-input masks [K, S, S] cut to their boxes [K, 4]."""
    size = mask_logits.shape[-1]
    targets = project_masks_on_boxes(masks, boxes, torch.arange(len(boxes), device=boxes.device), size)
    return F.binary_cross_entropy_with_logits(mask_logits[:, 0], targets)
