"""Single-object tracking session: init on one box, then one answer per frame."""

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from ..boxes import xyxy_to_xywh
from ..model.dettrack import DetTrack
from .inputs import Frame, check_box, frame_to_tensor
from .smoothing import TemporalSmoother


@dataclass(frozen=True)
class TrackResult:
    """One frame's answer. box: (x, y, w, h) in original pixels; mask: H x W bool or None."""

    box: tuple[float, float, float, float]
    score: float
    present: bool
    mask: Optional[np.ndarray]


class Tracker:
    """Track one object with a DetTrack model.

    Each frame is processed independently (the top candidate wins) unless
    `smoothing` turns on the paper's temporal smoothness. The object is reported
    absent when the winning score is below `presence_threshold`; the box is then
    the best guess (the top candidate, or the last box when there is none).

    Example:
        tracker = Tracker(dettrack.load_pretrained())
        tracker.init(first_frame, (x, y, w, h))
        for frame in frames:
            result = tracker.update(frame)
    """

    def __init__(
        self,
        model: DetTrack,
        smoothing: bool = False,
        presence_threshold: float = 0.5,
        mask_threshold: float = 0.5,
    ) -> None:
        if not 0.0 <= presence_threshold <= 1.0:
            raise ValueError(f"presence_threshold must be in [0, 1], got {presence_threshold}")
        self.model = model.eval()
        self.presence_threshold = presence_threshold
        self.mask_threshold = mask_threshold
        self.smoother: Optional[TemporalSmoother] = TemporalSmoother() if smoothing else None
        self.template: Optional[Tensor] = None
        self.frame_size: Optional[tuple[int, int]] = None
        self.last_box: Optional[tuple[float, float, float, float]] = None
        self.frame_index = 0

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.inference_mode()
    def init(self, frame: Frame, box_xywh: Sequence[float]) -> None:
        """Start (or restart) the track on `frame` with the object's (x, y, w, h) box."""
        image = frame_to_tensor(frame, self.device, name="init frame")
        size = (image.shape[-2], image.shape[-1])
        box = check_box(box_xywh, size, name="init box")
        self.template = self.model.make_template([image], box[None].to(self.device))
        self.frame_size = size
        self.last_box = tuple(xyxy_to_xywh(box).tolist())
        self.frame_index = 0
        if self.smoother is not None:
            self.smoother.reset()

    @torch.inference_mode()
    def update(self, frame: Frame) -> TrackResult:
        """Locate the object in the next frame."""
        if self.template is None:
            raise RuntimeError("call init(frame, box) before update(frame)")
        self.frame_index += 1
        image = frame_to_tensor(frame, self.device, name=f"frame {self.frame_index}")
        size = (image.shape[-2], image.shape[-1])
        if size != self.frame_size:
            raise ValueError(
                f"frame {self.frame_index} is {size[1]}x{size[0]} but the track started on a "
                f"{self.frame_size[1]}x{self.frame_size[0]} frame"
            )
        candidates = self.model.track([image], self.template)[0]
        return self._answer(candidates)

    def _answer(self, candidates: dict[str, Tensor]) -> TrackResult:
        scores = candidates["scores"]
        if scores.numel() == 0:
            if self.smoother is not None:
                self.smoother.observe(None)
            return TrackResult(self.last_box, 0.0, False, None)
        masks = candidates["masks"][:, 0] > self.mask_threshold
        if self.smoother is not None:
            scores = self.smoother.rescore(scores, masks)
        best = int(scores.argmax())
        if self.smoother is not None:
            self.smoother.observe(masks[best])
        score = float(scores[best])
        box = tuple(xyxy_to_xywh(candidates["boxes"][best]).tolist())
        self.last_box = box
        return TrackResult(box, score, score >= self.presence_threshold, masks[best].cpu().numpy())

