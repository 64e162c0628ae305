"""Tracking sessions: many objects in one stream sharing one backbone pass per frame,
and the single-object Tracker on top of it."""

from dataclasses import dataclass, field
from typing import Hashable, Optional, Sequence

import torch
from torch import Tensor
from torchvision.models.detection.roi_heads import paste_masks_in_image

from ..boxes import xywh_to_xyxy, xyxy_to_xywh
from ..model.dettrack import DetTrack
from ..model.heads import Ranker
from ..types import Frame, TrackResult
from .inputs import check_box
from .motion import MotionPrior
from ..crops import crop_images
from .search_region import crop_window, to_frame
from .smoothing import TemporalSmoother
from .stream import StreamSession


@dataclass
class _Object:
    template: Tensor  # [1, D]
    last_box: tuple[float, float, float, float]
    smoother: Optional[TemporalSmoother] = field(default=None)
    local: bool = False  # next frame in search-region mode
    frames_local: int = 0  # consecutive search-region frames so far
    present: bool = True  # the last answer (or the template) was confident


class MultiTracker(StreamSession):
    """Track any number of objects in one stream; objects can be added and removed at any frame.

    Each frame's pyramid is computed once; every object's template reweights it and the
    RPN and heads run batched over objects. Per object, the top candidate wins (or the
    paper's temporal smoothness rescoring, with `smoothing=True`); below
    `presence_threshold` the object is reported absent, with its best-guess box.

    search_region > 0 turns on search-region mode: after a confident answer, the next
    frame is processed as a search_region x search_region crop around the object (side =
    `context` x the box's size), which is far cheaper than the full frame. The full frame
    is used again after an answer below presence_threshold and every `refresh_every`
    frames, so the object is re-detected after it leaves and comes back. With many objects,
    when their crops would hold more pixels than the (resized) frame, one full-frame pass
    serves them all instead.

    window_influence, scale_penalty and size_rate set a motion prior (motion.MotionPrior)
    used after a confident answer (not on refresh frames): candidates far from the last box
    or of a very different size lose rank, and the box size changes at a rate set by the
    score. The built-in defaults switch it off (the paper's stateless tracker).

    proposals and search_proposals cap the RPN proposals per object that reach the box head
    on full frames and on search-region crops (0: the model's rpn_post_nms_top_n_test; an
    unset search_proposals follows proposals). The RPN is already template-conditioned, so
    few are needed; each costs RoIAlign and box-head work. search_skip_levels > 0 has the RPN
    leave out that many of the finest pyramid levels on crops, where the object is scaled to
    about search_region / context pixels and the smallest anchors cannot fit it
    (rpn.coarse_levels); the RoI heads still pool from every level.

    Settings left as None take the model's own `tracking_defaults` (stored in its
    checkpoint by whoever trained it), then the built-in DEFAULTS.

    Without smoothing only the top candidate is computed (one mask per object); the
    smoothness rescoring needs every candidate's mask. The session puts the model in eval
    mode with channels-last weights (faster convolutions, the same results up to rounding).

    Example:
        session = MultiTracker(model)
        session.add(first_frame, (x, y, w, h), obj_id="car")
        for frame in frames[1:]:
            results = session.update(frame)   # {"car": TrackResult}
    """

    DEFAULTS = {
        "presence_threshold": 0.5,
        "search_region": 0,
        "context": 4.0,
        "refresh_every": 15,
        "window_influence": 0.0,
        "scale_penalty": 0.0,
        "size_rate": 1.0,
        "proposals": 0,
        "search_proposals": 0,
        "search_skip_levels": 0,
    }

    def __init__(
        self,
        model: DetTrack,
        smoothing: bool = False,
        presence_threshold: Optional[float] = None,
        mask_threshold: float = 0.5,
        search_region: Optional[int] = None,
        context: Optional[float] = None,
        refresh_every: Optional[int] = None,
        window_influence: Optional[float] = None,
        scale_penalty: Optional[float] = None,
        size_rate: Optional[float] = None,
        proposals: Optional[int] = None,
        search_proposals: Optional[int] = None,
        search_skip_levels: Optional[int] = None,
    ) -> None:
        given = {
            "presence_threshold": presence_threshold,
            "search_region": search_region,
            "context": context,
            "refresh_every": refresh_every,
            "window_influence": window_influence,
            "scale_penalty": scale_penalty,
            "size_rate": size_rate,
            "proposals": proposals,
            "search_proposals": search_proposals,
            "search_skip_levels": search_skip_levels,
        }
        settings = {**self.DEFAULTS, **getattr(model, "tracking_defaults", {})}
        settings.update({k: v for k, v in given.items() if v is not None})
        presence_threshold, search_region = float(settings["presence_threshold"]), int(settings["search_region"])
        context, refresh_every = float(settings["context"]), int(settings["refresh_every"])
        if not 0.0 <= presence_threshold <= 1.0:
            raise ValueError(f"presence_threshold must be in [0, 1], got {presence_threshold}")
        if search_region and (search_region < 64 or context <= 1.0 or refresh_every < 1):
            raise ValueError("search_region needs a size >= 64, context > 1 and refresh_every >= 1")
        counts = {name: settings[name] for name in ("proposals", "search_proposals", "search_skip_levels")}
        for name, count in counts.items():
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                meaning = "none skipped" if name == "search_skip_levels" else "the model's rpn_post_nms_top_n_test"
                raise ValueError(f"{name} must be an integer >= 0 (0: {meaning}), got {count!r}")
        levels = len(model.rpn.anchor_generator.sizes)
        if counts["search_skip_levels"] >= levels:
            raise ValueError(f"search_skip_levels must leave the RPN at least one of its {levels} levels, got {counts['search_skip_levels']}")
        self.proposals = counts["proposals"] or None
        self.search_proposals = counts["search_proposals"] or self.proposals
        self.search_skip_levels = counts["search_skip_levels"]
        self.search_region = search_region
        self.context = context
        self.refresh_every = refresh_every
        self.motion = MotionPrior(
            float(settings["window_influence"]), float(settings["scale_penalty"]), float(settings["size_rate"]), span=context
        )
        # channels-last weights make every convolution faster (a 256 crop pass 54 -> 47 ms,
        # a 480p frame 119 -> 83 ms on 2 CPU cores); the results are the same
        self.model = model.eval().to(memory_format=torch.channels_last)
        self.smoothing = smoothing
        self.presence_threshold = presence_threshold
        self.mask_threshold = mask_threshold
        super().__init__()

    @torch.inference_mode()
    def add(self, frame: Frame, box_xywh: Sequence[float], obj_id: Optional[Hashable] = None) -> Hashable:
        """Start tracking an object given its box in `frame`; returns its id (next integer by default).

        The frame is the template frame: it is not counted as a tracked frame.
        """
        if obj_id is None:
            obj_id = self._next_id()
        return self._add(frame, box_xywh, obj_id, f"object {obj_id!r}")

    def _add(self, frame: Frame, box_xywh: Sequence[float], obj_id: Hashable, label: str) -> Hashable:
        if obj_id in self.objects:
            raise ValueError(f"object id {obj_id!r} is already tracked; remove it first or pick another id")
        image = self._check_frame(frame, f"template frame of {label}")
        box = check_box(box_xywh, self.frame_size, name=f"box of {label}")
        with self._autocast():
            template = self.model.make_template([image], box[None].to(self.device)).float()
        smoother = TemporalSmoother() if self.smoothing else None
        self.objects[obj_id] = _Object(template, tuple(xyxy_to_xywh(box).tolist()), smoother)
        return obj_id

    def _locate(self, image: Tensor) -> dict[Hashable, TrackResult]:
        """Every tracked object in the next frame (a [3, H, W] tensor; called under inference mode)."""
        with self._autocast():
            candidates = self._candidates(image)
        results = {}
        for i in self.objects:
            obj = self.objects[i]
            results[i] = self._answer(obj, {k: v.float() if v.is_floating_point() else v for k, v in candidates[i].items()})
            obj.frames_local = obj.frames_local + 1 if obj.local else 0
            obj.present = results[i].present
            obj.local = bool(self.search_region) and obj.present and obj.frames_local < self.refresh_every
        return results

    def _autocast(self) -> torch.autocast:
        """fp16 autocast on CUDA; a no-op on the CPU."""
        return torch.autocast(self.device.type, dtype=torch.float16, enabled=self.device.type == "cuda")

    def _candidates(self, image: Tensor) -> dict[Hashable, dict[str, Tensor]]:
        """Every object's ranked candidates in frame coordinates: one full-frame pass shared by the
        objects that need it, one batch of search-region crops for the others (or the full-frame
        pass for everyone when the crops would hold more pixels than the network's input frame)."""
        local = [i for i, o in self.objects.items() if o.local]
        full = [i for i, o in self.objects.items() if not o.local]
        if len(local) * self.search_region**2 > self._input_pixels():
            local, full = [], list(self.objects)
        candidates: dict[Hashable, dict[str, Tensor]] = {}
        if full:
            templates = torch.cat([self.objects[i].template for i in full])
            image_list, _ = self.model.transform([image])
            features = self.model.backbone(image_list.tensors)
            (height, width), (new_height, new_width) = image.shape[-2:], image_list.image_sizes[0]
            scale = torch.tensor([new_width / width, new_height / height] * 2, device=image.device)
            priors = [_xyxy(self.objects[i].last_box, image.device) * scale if self._prior_on(self.objects[i]) else None for i in full]
            found = self.model.track_features(
                image_list, features, templates, [tuple(image.shape[-2:])], paste_masks=False,
                max_candidates=self._max_candidates, rank=self._ranker(priors), proposals=self.proposals,
            )
            candidates.update(zip(full, found))
        if local:
            windows = [crop_window(self.objects[i].last_box, self.context, self.frame_size) for i in local]
            crops = crop_images(image, windows, self.search_region)
            templates = torch.cat([self.objects[i].template for i in local])
            priors = [
                (_xyxy(self.objects[i].last_box, image.device) - torch.tensor([left, top] * 2, device=image.device)) * (self.search_region / side)
                for i, (left, top, side) in zip(local, windows)
            ]
            found = self.model.track(
                list(crops), templates, resize=False, paste_masks=False, max_candidates=self._max_candidates,
                rank=self._ranker(priors), proposals=self.search_proposals, skip_levels=self.search_skip_levels,
            )
            for i, window, c in zip(local, windows, found):
                candidates[i] = to_frame(c, window, self.search_region, self.frame_size)
        return candidates

    def _prior_on(self, obj: _Object) -> bool:
        """The motion prior holds after a confident answer, except on search-region mode's refresh frames."""
        return obj.local or (not self.search_region and obj.present)

    def _input_pixels(self) -> int:
        """Pixels of a frame as the network sees it (torchvision's resize to min_size / max_size)."""
        height, width = self.frame_size
        transform = self.model.transform
        scale = min(transform.min_size[-1] / min(height, width), transform.max_size / max(height, width))
        return int(height * width * scale * scale)

    def _ranker(self, priors: list[Optional[Tensor]]) -> Optional[Ranker]:
        """The motion prior's ranking for each image of a batch (None entries keep the scores)."""
        if not self.motion.reranks or all(p is None for p in priors):
            return None

        def rank(index: int, boxes: Tensor, scores: Tensor) -> Tensor:
            prior = priors[index]
            return scores if prior is None else self.motion.rank(boxes, scores, prior)

        return rank

    @property
    def _max_candidates(self) -> Optional[int]:
        return None if self.smoothing else 1

    def _answer(self, obj: _Object, candidates: dict[str, Tensor]) -> TrackResult:
        scores = candidates["scores"]
        if scores.numel() == 0:
            if obj.smoother is not None:
                obj.smoother.observe(None)
            return TrackResult(obj.last_box, 0.0, False, None)
        if obj.smoother is not None:
            masks = self._paste(candidates["masks"], candidates["boxes"])
            scores = obj.smoother.rescore(scores, masks)
            best = int(scores.argmax())
            mask = masks[best]
            obj.smoother.observe(mask)
        else:
            best = 0  # ranked by the network (and the motion prior when on)
            mask = self._paste(candidates["masks"][:1], candidates["boxes"][:1])[0]
        score = float(scores[best])
        box = tuple(xyxy_to_xywh(candidates["boxes"][best]).tolist())
        if obj.present:
            box = self.motion.follow(obj.last_box, box, score)
        obj.last_box = box
        return TrackResult(box, score, score >= self.presence_threshold, mask.cpu().numpy())

    def _paste(self, masks: Tensor, boxes: Tensor) -> Tensor:
        """The head's box-relative [K, 1, M, M] mask probabilities as [K, H, W] bool frame masks."""
        return paste_masks_in_image(masks, boxes, self.frame_size)[:, 0] > self.mask_threshold


def _xyxy(box_xywh: tuple[float, ...], device: torch.device) -> Tensor:
    return xywh_to_xyxy(torch.tensor(box_xywh, dtype=torch.float32, device=device))
