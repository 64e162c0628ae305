"""A tracking session over the model interface (model/interface.py): many objects, one stream.

Each object is searched for in a square crop around its last box (all objects' crops go through
the network as one batch), its template reweights that crop's pyramid, and the best candidate,
ranked by the network's score, a Hanning window over the crop and a penalty on change of size,
is the answer. The session
never looks inside the network and never changes the caller's model.
"""

import math
from dataclasses import dataclass
from typing import Any, Hashable, Optional, Sequence, Union

import torch
from torch import Tensor
from torchvision.models.detection.roi_heads import paste_masks_in_image

from ..boxes import xyxy_to_xywh
from ..model.interface import TrackingModel, Window
from .inputs import Frame, check_box
from .motion import MotionPrior
from ..crops import search_window
from .settings import TrackingSettings
from .stream import StreamSession
from ..types import TrackResult
from .tracker import MultiTracker

Box = tuple[float, float, float, float]


@dataclass
class _Object:
    template: Tensor  # [1, D]
    box: Box  # last (x, y, w, h)
    context: float  # current crop context (grows while the object is absent)


class TemplateTracker(StreamSession):
    """Track any number of objects in one stream; objects can be added and removed at any frame.

    settings: a TrackingSettings, or None for the model's own (its checkpoint's) defaults;
    keyword overrides change single settings (e.g. presence_threshold=0.4).

    Example:
        session = TemplateTracker(model)
        session.add(first_frame, (x, y, w, h), obj_id="car")
        for frame in frames:
            results = session.update(frame)   # {"car": TrackResult}
    """

    def __init__(self, model: TrackingModel, settings: Optional[TrackingSettings] = None, **overrides: object) -> None:
        if settings is None:
            settings = TrackingSettings.from_mapping(getattr(model, "tracking_defaults", {}) or {}, "the model's tracking defaults")
        self.settings = settings.updated(**overrides)
        super().__init__()
        self.model = model

    @torch.inference_mode()
    def add(self, frame: Frame, box_xywh: Sequence[float], obj_id: Optional[Hashable] = None) -> Hashable:
        """Start tracking an object given its box in `frame` (its template frame, not a tracked frame); returns its id."""
        if obj_id is None:
            obj_id = self._next_id()
        if obj_id in self.objects:
            raise ValueError(f"object id {obj_id!r} is already tracked; remove it first or pick another id")
        image = self._check_frame(frame, f"template frame of object {obj_id!r}")
        box = check_box(box_xywh, self.frame_size, name=f"box of object {obj_id!r}").to(self.device)
        xywh = tuple(xyxy_to_xywh(box).tolist())
        context = self.settings.template_context or self.settings.context
        window = search_window(xywh, context, self.frame_size)
        size = max(32, round(self.settings.search_size * window[2] / max(search_window(xywh, self.settings.context, self.frame_size)[2], 1) / 32) * 32)
        with _eval(self.model):
            encoded = self.model.encode(image, [window], size)
            template = self.model.make_template(encoded, box[None]).float()
        self.objects[obj_id] = _Object(template, xywh, self.settings.context)
        return obj_id

    def _locate(self, image: Tensor) -> dict[Hashable, TrackResult]:
        """Every tracked object in the next frame (a [3, H, W] tensor; called under inference mode)."""
        ids = list(self.objects)
        windows = [search_window(self.objects[i].box, self.objects[i].context, self.frame_size) for i in ids]
        with _eval(self.model):
            encoded = self.model.encode(image, windows, self.settings.search_size)
            templates = torch.cat([self.objects[i].template for i in ids])
            found = self.model.candidates(encoded, templates)
            winners = [self._pick(self.objects[i], c.boxes, c.scores, w) for i, c, w in zip(ids, found, windows)]
            masks = self._masks(encoded, [w[0] for w in winners]) if self.settings.masks else [None] * len(ids)
        results = {}
        for i, (box, score), mask in zip(ids, winners, masks):
            results[i] = self._answer(self.objects[i], box, score, mask)
        return results

    def _pick(self, obj: _Object, boxes: Tensor, scores: Tensor, window: Window) -> tuple[Tensor, float]:
        """The winning candidate (xyxy, frame pixels) and its network score."""
        x, y, w, h = obj.box
        last = torch.tensor([x, y, x + w, y + h], device=boxes.device)
        span = window[2] / max(math.sqrt(max(w, 1e-3) * max(h, 1e-3)), 1e-3)
        rank = MotionPrior(self.settings.window_influence, self.settings.scale_penalty, 1.0, span).rank(boxes, scores, last)
        best = int(rank.argmax())
        return boxes[best], float(scores[best])

    def _masks(self, encoded, boxes: list[Tensor]) -> list[Tensor]:
        stacked = torch.stack(boxes)
        probs = self.model.masks(encoded, stacked, list(range(len(boxes))))
        pasted = paste_masks_in_image(probs[:, None], stacked, self.frame_size)[:, 0]
        return list(pasted > self.settings.mask_threshold)

    def _answer(self, obj: _Object, box: Tensor, score: float, mask: Optional[Tensor]) -> TrackResult:
        present = score >= self.settings.presence_threshold
        winner = tuple(xyxy_to_xywh(box).tolist())
        if score >= self.settings.follow_threshold:
            rate = self.settings.size_rate
            cx, cy = winner[0] + winner[2] / 2, winner[1] + winner[3] / 2
            w = obj.box[2] * (1 - rate) + winner[2] * rate
            h = obj.box[3] * (1 - rate) + winner[3] * rate
            obj.box = _inside((cx - w / 2, cy - h / 2, w, h), self.frame_size)
            obj.context = self.settings.context
            reported = obj.box
        else:
            obj.context = min(obj.context * self.settings.lost_growth, 8.0 * self.settings.context)  # the crop itself stops at twice the frame
            reported = winner
        return TrackResult(reported, score, present, None if mask is None else mask.cpu().numpy())

def _inside(box: Box, frame_size: tuple[int, int]) -> Box:
    """Keep the box's centre inside the frame and its size at least 1 px (the next crop must see the frame)."""
    x, y, w, h = box
    height, width = frame_size
    w, h = max(w, 1.0), max(h, 1.0)
    cx = min(max(x + w / 2, 0.0), float(width))
    cy = min(max(y + h / 2, 0.0), float(height))
    return (cx - w / 2, cy - h / 2, w, h)


class _eval:
    """Run the model in eval mode and restore its mode afterwards (the session never changes the caller's model)."""

    def __init__(self, model: Union[TrackingModel, torch.nn.Module]) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.was_training = self.model.training  # type: ignore[union-attr]
        if self.was_training:  # switching modes walks every module: only when needed
            self.model.eval()  # type: ignore[union-attr]

    def __exit__(self, *exc: object) -> None:
        if self.was_training:
            self.model.train()  # type: ignore[union-attr]


def open_session(
    model: object, smoothing: bool = False, presence_threshold: Optional[float] = None, **settings: Any
) -> "Union[TemplateTracker, MultiTracker]":
    """The tracking session that serves `model`: a TemplateTracker for the light family, the
    Mask R-CNN family's MultiTracker otherwise; settings override the model's defaults."""
    if getattr(model, "family", None) == "light":
        if smoothing:
            raise ValueError("temporal smoothing is not available for the light family's tracker")
        return TemplateTracker(model, presence_threshold=presence_threshold, **settings)  # type: ignore[arg-type]
    return MultiTracker(model, smoothing, presence_threshold, **settings)  # type: ignore[arg-type]


class Tracker:
    """Track one object with either model family: `init(frame, box)`, then `update(frame)` per frame.

    The session is the model's own (open_session): settings (presence_threshold, mask_threshold
    and the family's others, e.g. context) override the model's defaults; smoothing=True is the
    paper's temporal smoothness (Mask R-CNN family). Below presence_threshold the object is
    reported absent, with its best-guess box.

    Example:
        tracker = Tracker(model)
        tracker.init(first_frame, (x, y, w, h))
        for frame in frames:
            result = tracker.update(frame)
    """

    _ID = 0

    def __init__(
        self, model: object, smoothing: bool = False, presence_threshold: Optional[float] = None, **settings: Any
    ) -> None:
        self.session = open_session(model, smoothing, presence_threshold, **settings)

    @property
    def smoother(self) -> Optional[object]:
        obj = self.session.objects.get(self._ID)
        return None if obj is None else getattr(obj, "smoother", None)

    def init(self, frame: Frame, box_xywh: Sequence[float]) -> None:
        """Start (or restart) the track on `frame` with the object's (x, y, w, h) box."""
        if self._ID in self.session.objects:
            self.session.remove(self._ID)
        self.session.frame_index = 0
        self.session.add(frame, box_xywh, self._ID)

    def update(self, frame: Frame) -> TrackResult:
        """Locate the object in the next frame."""
        if self._ID not in self.session.objects:
            raise RuntimeError("call init(frame, box) before update(frame)")
        return self.session.update(frame)[self._ID]
