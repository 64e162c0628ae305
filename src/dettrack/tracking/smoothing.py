"""The paper's optional temporal smoothness on candidate scores.

c_i <- alpha * c_i + (1 - alpha) * IoU(m_i, m*_{t-1}), with m* the previous answer.
Smoothing switches off when consecutive answers stop overlapping (IoU < break_iou:
the track broke, e.g. after a re-detection) and back on after `resume_after`
consecutive frames whose answers overlap by more than resume_iou.
"""

from typing import Optional

import torch
from torch import Tensor


def mask_iou(masks: Tensor, reference: Tensor) -> Tensor:
    """IoU of each of [K, H, W] boolean masks with one [H, W] boolean mask -> [K]."""
    inter = (masks & reference).flatten(1).sum(1).float()
    union = (masks | reference).flatten(1).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(union))


class TemporalSmoother:
    """Stateful rescoring of one track's candidates; `rescore` then `observe` once per frame."""

    def __init__(self, alpha: float = 0.6, break_iou: float = 0.1, resume_iou: float = 0.3, resume_after: int = 30) -> None:
        self.alpha = alpha
        self.break_iou = break_iou
        self.resume_iou = resume_iou
        self.resume_after = resume_after
        self.reset()

    def reset(self) -> None:
        self.active = True
        self.previous: Optional[Tensor] = None
        self.good_run = 0

    def rescore(self, scores: Tensor, masks: Tensor) -> Tensor:
        """Blend candidate scores [K] with their mask IoU to the previous answer ([K, H, W] bool)."""
        if not self.active or self.previous is None or self.previous.shape != masks.shape[1:]:
            return scores
        return self.alpha * scores + (1 - self.alpha) * mask_iou(masks, self.previous)

    def observe(self, answer: Optional[Tensor]) -> None:
        """Record this frame's answer mask ([H, W] bool, or None when there was no candidate)."""
        if self.previous is not None:
            iou = 0.0 if answer is None else float(mask_iou(answer[None], self.previous)[0])
            if self.active and iou < self.break_iou:
                self.active, self.good_run = False, 0
            elif not self.active:
                self.good_run = self.good_run + 1 if iou > self.resume_iou else 0
                if self.good_run >= self.resume_after:
                    self.active, self.good_run = True, 0
        self.previous = answer
