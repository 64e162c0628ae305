"""The tracking session over the model interface (model/interface.py): many objects, one stream,
either model family.

Each object is searched for in a square crop around its last box (all objects' crops go through
the network as one batch), or with full_frame in the whole frame (one pass shared by all
objects); its template reweights that pyramid, and the best candidate, ranked by the network's
score, a Hanning window around the last box and a penalty on change of size (and with smoothing,
the paper's mask-IoU temporal smoothness), is the answer. The session never looks inside the
network and never changes the caller's model.
"""

import math
from dataclasses import dataclass, replace
from typing import Any, Hashable, Mapping, Optional, Sequence

import torch
from torch import Tensor
from torchvision.ops import box_iou, nms

from ..boxes import xyxy_to_xywh
from ..masks import paste_binary_masks
from ..model.interface import Candidates, Encoded, TrackingModel, Window, eval_mode
from .inputs import Frame, check_box
from .motion import MotionPrior
from ..crops import search_window
from .calibration import BoxCalibration
from .first_frame import first_answers
from .settings import TrackingSettings
from .smoothing import TemporalSmoother
from .stream import StreamSession
from ..types import TrackResult

Box = tuple[float, float, float, float]
# candidates per object whose masks the temporal smoothness compares (the Mask R-CNN family's
# heads keep at most 10 by default)
SMOOTHED_CANDIDATES = 10
# hold_ratio's running score: how fast it follows the followed winners' scores, and what it is
# multiplied by on each held frame (after about 20 held frames it has halved)
LEVEL_RATE = 0.1
LEVEL_DECAY = 0.97
# candidates of a re-detection crop whose identity is read, the best by score (redetect_after)
IDENTITY_CANDIDATES = 10
# identity_weight: a winner whose confidence is below DOUBT is compared with up to RIVALS other
# candidates, the best by the motion prior that overlap it and each other by less than RIVAL_IOU
DOUBT = 0.5
RIVALS = 3
RIVAL_IOU = 0.5


@dataclass
class _Pick:
    """An object's winner in one frame: its box (xyxy, frame pixels), ranking score, the network's
    own score for it (presence), the confidence it reports and, once computed, its mask."""

    box: Tensor
    score: float
    presence: float
    confidence: float
    mask: Optional[Tensor] = None


@dataclass
class _Object:
    template: Tensor  # [1, D]
    box: Box  # last (x, y, w, h)
    context: float  # current crop context (grows while the object is absent)
    smoother: Optional[TemporalSmoother] = None  # with smoothing
    level: Optional[float] = None  # running score of the followed winners (hold_ratio)
    held: bool = False  # the last answer was held (hold_ratio)
    velocity: tuple[float, float] = (0.0, 0.0)  # running centre motion per followed frame (hold_ratio)
    calibration: BoxCalibration = BoxCalibration()  # the given box's convention (box_calibration)
    absent_run: int = 0  # answers reported absent in a row (redetect_after)
    appearance: Optional[Tensor] = None  # [1, D]: the appearance verifier's weights (appearance_weight)


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

    def __init__(self, model: TrackingModel, settings: Optional[TrackingSettings] = None, **overrides: Any) -> None:
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
        self._add(self._check_frame(frame, f"template frame of object {obj_id!r}"), {obj_id: box_xywh})
        return obj_id

    @torch.inference_mode()
    def _add(self, image: Tensor, boxes: Mapping[Hashable, Sequence[float]]) -> None:
        """Objects {id: (x, y, w, h)} added on a checked [3, H, W] frame tensor; every box is checked
        before any is added. Their appearance verifiers are solved together (each the others' negative)."""
        checked = {}
        for obj_id, box_xywh in boxes.items():
            if obj_id in self.objects:
                raise ValueError(f"object id {obj_id!r} is already tracked; remove it first or pick another id")
            checked[obj_id] = check_box(box_xywh, self.frame_size, name=f"box of object {obj_id!r}").to(self.device)
        xyxy = torch.stack(list(checked.values()))
        with eval_mode(self.model):
            looks = self.model.appearance.solve(image, xyxy) if self._appearance else None
            templates = self._templates(image, xyxy)
            for k, (obj_id, box) in enumerate(checked.items()):
                xywh = tuple(xyxy_to_xywh(box).tolist())
                smoother = TemporalSmoother() if self.settings.smoothing else None
                obj = _Object(templates[k : k + 1], xywh, self.settings.context, smoother, appearance=None if looks is None else looks[k : k + 1])
                if self.settings.box_calibration:
                    obj.calibration = self._calibration(image, obj, box)
                self.objects[obj_id] = obj

    def start(self, frame: Frame, boxes: Mapping[Hashable, Sequence[float]]) -> dict[Hashable, TrackResult]:
        """Add the objects of `boxes` ({id: (x, y, w, h)}) on `frame`; returns each one's answer there:
        its given box, score 1, present, and (with masks) the network's mask in it (first_frame.py)."""
        if not boxes:
            return {}
        image = self._check_frame(frame, f"template frame of object(s) {', '.join(map(repr, boxes))}")
        self._add(image, boxes)
        with eval_mode(self.model):
            return first_answers(self.model, image, boxes, self.settings.masks, self.settings.mask_threshold)

    def relocate(self, obj_id: Hashable, box_xywh: Sequence[float]) -> None:
        """Search for the object around `box_xywh` from the next frame on (a detection re-found it);
        its template, and so what it is, stays the one it was given."""
        if obj_id not in self.objects:
            raise KeyError(f"no tracked object with id {obj_id!r}")
        obj = self.objects[obj_id]
        obj.box = tuple(xyxy_to_xywh(check_box(box_xywh, self.frame_size, name=f"box of object {obj_id!r}")).tolist())
        obj.context, obj.held = self.settings.context, False

    @torch.inference_mode()
    def identities(self, frame: Frame, boxes: Sequence[Sequence[float]], obj_ids: Sequence[Hashable]) -> Tensor:
        """[len(obj_ids), len(boxes)]: how much each (x, y, w, h) box of `frame` looks like each
        object (its verifier's identity, as its answers report it), each box seen in the crop the
        session would search around it; zeros with a model that verifies nothing."""
        out = torch.zeros(len(obj_ids), len(boxes))
        if not (len(boxes) and len(obj_ids) and self._verifies):
            return out
        image = self._check_frame(frame, f"frame {self.frame_index}")
        xyxy = torch.stack([check_box(b, self.frame_size, name=f"box {k}") for k, b in enumerate(boxes)]).to(self.device)
        windows = [search_window(tuple(xyxy_to_xywh(b).tolist()), self.settings.context, self.frame_size) for b in xyxy]
        objects = [self.objects[i] for i in obj_ids]
        with eval_mode(self.model):
            encoded = self.model.encode(image, windows, self.settings.search_size)
            found = torch.stack(self._identities(encoded, objects, [xyxy] * len(objects), list(range(len(windows))) * len(objects)))
            if self._appearance:  # every object's answers for the same boxes: each box described once
                found = self._mixed(found, self._looks(image, objects, xyxy))
        return found.cpu()

    def _calibration(self, image: Tensor, obj: _Object, box: Tensor) -> BoxCalibration:
        """How the given box differs from the one the session would answer on the template frame
        itself (searched as any later frame is), as box_calibration carries it over."""
        window = search_window(obj.box, obj.context, self.frame_size)
        with eval_mode(self.model):
            encoded = self.model.encode(image) if self.settings.full_frame else self.model.encode(image, [window], self.settings.search_size)
            found = self.model.candidates(encoded, obj.template)[0]
        if not len(found.scores):
            return BoxCalibration()
        best = int(self._rank(obj, found.boxes, found.scores, window).argmax())
        return BoxCalibration.measure(box, found.boxes[best], self.settings.box_calibration)

    def _templates(self, image: Tensor, boxes: Tensor) -> Tensor:
        """Templates [N, T] of the objects in xyxy boxes [N, 4] on their template frame, each from the
        frame as the searches will see it: whole, or a crop at the search crop's scale. Crops of one
        input size are encoded together (objects of about one scale share the network's passes)."""
        if self.settings.full_frame:
            return self.model.make_template(self.model.encode(image), boxes).float()
        context = self.settings.template_context or self.settings.context
        crops = [self._wide_crop(tuple(xyxy_to_xywh(box).tolist()), context, self.settings.context) for box in boxes]
        groups: dict[int, list[int]] = {}
        for k, (_, size) in enumerate(crops):
            groups.setdefault(size, []).append(k)
        templates: dict[int, Tensor] = {}
        for size, group in groups.items():
            encoded = self.model.encode(image, [crops[k][0] for k in group], size)
            for k, template in zip(group, self.model.make_template(encoded, boxes[group])):
                templates[k] = template
        return torch.stack([templates[k] for k in range(len(boxes))]).float()

    def _wide_crop(self, xywh: Box, context: float, search_context: float) -> tuple[Window, int]:
        """The crop `context` wide around xywh and its input size at the scale of the search crop
        `search_context` wide there: the network input grows with the crop (the network wants
        objects at its trained scale)."""
        window = search_window(xywh, context, self.frame_size)
        search = search_window(xywh, search_context, self.frame_size)
        return window, max(32, round(self.settings.search_size * window[2] / max(search[2], 1) / 32) * 32)

    def _locate(self, image: Tensor) -> dict[Hashable, TrackResult]:
        """Every tracked object in the next frame (a [3, H, W] tensor; called under inference mode)."""
        ids = list(self.objects)
        objects = [self.objects[i] for i in ids]
        windows = [search_window(o.box, o.context, self.frame_size) for o in objects]
        with eval_mode(self.model):
            if self.settings.full_frame:
                encoded = self.model.encode(image)
            else:
                encoded = self.model.encode(image, windows, self.settings.search_size)
            templates = torch.cat([o.template for o in objects])
            found = [replace(c, boxes=o.calibration.apply(c.boxes)) for o, c in zip(objects, self.model.candidates(encoded, templates))]
            inputs = encoded.inputs_of(len(ids))
            if self.settings.smoothing:
                picks = self._smoothed(encoded, objects, found, windows, inputs)
                if self._verifies:
                    self._verify(encoded, objects, picks, inputs)
                self._mix_appearance(image, objects, picks)
            else:
                ranks = [self._rank(o, c.boxes, c.scores, w) if len(c.scores) else None for o, c, w in zip(objects, found, windows)]
                picks = self._picks(encoded, objects, found, ranks, inputs)
                if self.settings.size_check and self._verifies:
                    self._check_sizes(encoded, objects, picks, inputs)
                self._mix_appearance(image, objects, picks)
                if self.settings.identity_weight and self._verifies:
                    self._challenge(image, encoded, objects, found, ranks, picks, inputs)
                self._leave_owned(objects, picks)
                if self.settings.masks:
                    self._add_masks(encoded, objects, picks, inputs)
            results = {}
            for i, obj, pick in zip(ids, objects, picks):
                results[i] = self._missing(obj) if pick is None else self._answer(obj, pick)
            if self.settings.redetect_after and self._verifies:
                for k in self._redetect(image, ids, objects, results):
                    picks[k] = None  # re-found this frame: no template update from the crop's winner
            for i, obj in zip(ids, objects):
                obj.absent_run = 0 if results[i].present else obj.absent_run + 1
            if self.settings.template_update and self.frame_index % self.settings.update_every == 0:
                self._update_templates(encoded, objects, picks, inputs)
        return results

    def _redetect(self, image: Tensor, ids: list[Hashable], objects: list[_Object], results: dict[Hashable, TrackResult]) -> list[int]:
        """Objects lost for more than redetect_after answers (absent in a row, this frame's included,
        and on until a present answer has reset the count) are also searched in a crop
        redetect_width times as wide at the same scale; the candidate there that looks most like
        the object takes the track when its identity is at least redetect_threshold (above the
        presence threshold: a jump needs more evidence than staying) and more than the crop's
        winner has. Returns the indices re-found."""
        lost = [k for k, obj in enumerate(objects) if obj.absent_run + (not results[ids[k]].present) > self.settings.redetect_after]
        found = []
        for k in lost:
            obj = objects[k]
            window, size = self._wide_crop(obj.box, obj.context * self.settings.redetect_width, obj.context)
            encoded = self.model.encode(image, [window], size)
            c = self.model.candidates(encoded, obj.template)[0]
            if not len(c.scores):
                continue
            top = c.scores.topk(min(IDENTITY_CANDIDATES, len(c.scores))).indices
            boxes = obj.calibration.apply(c.boxes[top])
            identity = self._identities(encoded, [obj], [boxes], [0])[0]
            if self._appearance:
                identity = self._mixed(identity, self._looks(image, [obj], boxes)[0])
            best = int(identity.argmax())
            if float(identity[best]) < max(self.settings.redetect_threshold, results[ids[k]].score):
                continue
            box = boxes[best]
            mask = None
            if self.settings.masks:
                mask = self._masks(encoded, [obj.calibration.undo(box)], [0])[0].cpu().numpy()
            obj.box = _inside(tuple(xyxy_to_xywh(box).tolist()), self.frame_size)
            obj.context, obj.held, obj.level = self.settings.context, False, None
            confidence = float(identity[best])
            results[ids[k]] = TrackResult(obj.box, confidence, confidence >= self.settings.presence_threshold, mask)
            found.append(k)
        return found

    def _update_templates(self, encoded: Encoded, objects: list[_Object], picks: list[Optional[_Pick]], inputs: list[int]) -> None:
        """Move the template of each object whose answer the network scores at least update_threshold
        towards what that answer shows in this frame, by template_update: a running average, in the
        parts the model updates (model.update_templates)."""
        threshold = self.settings.update_threshold
        due = [k for k, pick in enumerate(picks) if pick is not None and pick.presence >= threshold and not objects[k].held]
        if not due:
            return
        boxes = torch.stack([picks[k].box for k in due])  # type: ignore[union-attr]
        source = encoded if encoded.batch == 1 else encoded.select([inputs[k] for k in due])
        templates = torch.cat([objects[k].template for k in due])
        updated = self.model.update_templates(source, boxes, templates, self.settings.template_update).float()
        for k, template in zip(due, updated):
            objects[k].template = template[None]

    def _rank(self, obj: _Object, boxes: Tensor, scores: Tensor, window: Window) -> Tensor:
        """The candidates' ranking scores: the scores under the motion prior around the last box."""
        x, y, w, h = obj.box
        last = torch.tensor([x, y, x + w, y + h], device=boxes.device)
        span = window[2] / max(math.sqrt(max(w, 1e-3) * max(h, 1e-3)), 1e-3)
        return self._prior(span).rank(boxes, scores, last)

    def _prior(self, span: float = 4.0) -> MotionPrior:
        """The motion prior of the settings (span: the Hanning window's width in last-box sizes; ranking only)."""
        return MotionPrior(self.settings.window_influence, self.settings.scale_penalty, self.settings.size_rate, span)

    def _picks(self, encoded: Encoded, objects: list[_Object], found: list[Candidates], ranks: list[Optional[Tensor]], inputs: list[int]) -> list[Optional[_Pick]]:
        """Each object's winner (None without candidates): the best by its ranking scores `ranks`
        (the motion prior's). With the model's verifier the confidence it reports is the winner's identity."""
        bests = [None if r is None else int(r.argmax()) for r in ranks]
        if not self._verifies:
            return [None if b is None else _pick(c, b, float(c.reported[b])) for b, c in zip(bests, found)]
        chosen = [k for k, b in enumerate(bests) if b is not None]
        identities = self._identities(encoded, [objects[k] for k in chosen], [found[k].boxes[bests[k]][None] for k in chosen], [inputs[k] for k in chosen])
        picks: list[Optional[_Pick]] = [None] * len(objects)
        for k, identity in zip(chosen, identities):
            picks[k] = _pick(found[k], bests[k], float(identity[0]))  # type: ignore[arg-type]
        return picks

    def _challenge(
        self, image: Tensor, encoded: Encoded, objects: list[_Object], found: list[Candidates], ranks: list[Optional[Tensor]], picks: list[Optional[_Pick]], inputs: list[int]
    ) -> None:
        """identity_weight: a winner whose confidence is below DOUBT is compared with its rivals
        (up to RIVALS other candidates, the best by rank that overlap it and each other by less
        than RIVAL_IOU) by (1 - w) x ranking score + w x confidence (identity and appearance
        mixed, as answers report it); a rival that does better takes the answer. A look-alike that
        the motion prior prefers does not keep the track when the object is in the crop too, and
        an object back in view is taken again. A rival that another object of the session answers
        without doubt (overlapping its winner by RIVAL_IOU or more) is that object's, not a
        candidate: two tracks do not swap onto one object. Rivals that could not win even with the
        highest confidence left to them are not looked at (the appearance patches are the cost)."""
        weight, mix = self.settings.identity_weight, self.settings.appearance_weight if self._appearance else 0.0
        value = lambda rank, confidence: (1 - weight) * rank + weight * confidence  # noqa: E731
        sure = [k for k, pick in enumerate(picks) if pick is not None and pick.confidence >= DOUBT]
        owned = torch.stack([picks[k].box for k in sure]) if sure else None  # type: ignore[union-attr]
        rivals: dict[int, tuple[Tensor, float]] = {}  # doubted object -> its rivals that could win, the winner's value
        for k, pick in enumerate(picks):
            if pick is None or pick.confidence >= DOUBT:
                continue
            r = ranks[k]
            assert r is not None
            own = value(float(r.max()), pick.confidence)
            index = nms(found[k].boxes, r, RIVAL_IOU)[1 : RIVALS + 1]  # best first: the winner, then its rivals
            index = index[value(r[index], 1.0) > own]
            if owned is not None and len(index):  # a doubted object's box is never in `owned`: no self-exclusion
                index = index[box_iou(found[k].boxes[index], owned).max(1).values < RIVAL_IOU]
            if len(index):
                rivals[k] = (index, own)
        if not rivals:
            return
        chosen = list(rivals)
        identities = self._identities(encoded, [objects[k] for k in chosen], [found[k].boxes[rivals[k][0]] for k in chosen], [inputs[k] for k in chosen])
        hopes: dict[int, tuple[Tensor, Tensor, float]] = {}  # ... and their identities, once the best appearance could still lift them
        for k, identity in zip(chosen, identities):
            index, own = rivals[k]
            hopeful = value(ranks[k][index], (1 - mix) * identity + mix) > own  # type: ignore[index]
            if hopeful.any():
                hopes[k] = (index[hopeful], identity[hopeful], own)
        if mix and hopes:  # every object's rivals described in one batch
            chosen = list(hopes)
            boxes = torch.cat([found[k].boxes[hopes[k][0]] for k in chosen])
            looks = self._looks(image, [objects[k] for k in chosen], boxes).split([len(hopes[k][0]) for k in chosen], 1)
            for n, k in enumerate(chosen):
                index, identity, own = hopes[k]
                hopes[k] = (index, self._mixed(identity, looks[n][n]), own)
        for k, (index, identity, own) in hopes.items():
            values = value(ranks[k][index], identity)  # type: ignore[index]
            j = int(values.argmax())
            if float(values[j]) > own:
                picks[k] = _pick(found[k], int(index[j]), float(identity[j]))

    def _leave_owned(self, objects: list[_Object], picks: list[Optional[_Pick]]) -> None:
        """A lost object's winner (the object was absent on the last frame, its search widened) that
        overlaps, by RIVAL_IOU or more, the winner of an object present on the last frame is that
        object's: the lost one stays absent this frame. A track whose object left does not take the
        place of another track's, such as one the detector has just started on a newcomer."""
        held = [k for k, pick in enumerate(picks) if pick is not None and objects[k].absent_run == 0]
        lost = [k for k, pick in enumerate(picks) if pick is not None and objects[k].absent_run > 0]
        if not held or not lost:
            return
        owned = torch.stack([picks[k].box for k in held])  # type: ignore[union-attr]
        theirs = torch.stack([picks[k].box for k in lost])  # type: ignore[union-attr]
        overlaps = box_iou(theirs, owned).amax(1).tolist()  # every lost winner against the held ones at once
        for k, overlap in zip(lost, overlaps):
            if overlap >= RIVAL_IOU:
                picks[k] = None

    def _check_sizes(self, encoded: Encoded, objects: list[_Object], picks: list[Optional[_Pick]], inputs: list[int]) -> None:
        """Each winner takes, at its centre, whichever of its own size, the last answer's and their
        geometric mean the verifier finds most like the object (size_check); its confidence is that
        box's identity. Only objects smaller than size_check pixels are checked."""
        limit = self.settings.size_check
        chosen = [k for k, pick in enumerate(picks) if pick is not None and math.sqrt(max(objects[k].box[2] * objects[k].box[3], 0.0)) < limit]
        if not chosen:
            return
        boxes = [_sizes(picks[k].box, objects[k].box) for k in chosen]  # type: ignore[union-attr]
        identities = self._identities(encoded, [objects[k] for k in chosen], boxes, [inputs[k] for k in chosen])
        for k, sized, identity in zip(chosen, boxes, identities):
            best = int(identity.argmax())
            picks[k].box, picks[k].confidence = sized[best], float(identity[best])  # type: ignore[union-attr]

    def _identities(self, encoded: Encoded, objects: list[_Object], boxes: list[Tensor], inputs: list[int]) -> list[Tensor]:
        """The identity (the model's verify(), clamped to [0, 1]) of each object's boxes [n_k, 4], in one call."""
        counts = [len(b) for b in boxes]
        if not sum(counts):
            return [b.new_zeros(0) for b in boxes]
        flat = torch.cat([obj.calibration.undo(b) for obj, b in zip(objects, boxes)])  # the network's own boxes
        templates = torch.cat([obj.template.expand(n, -1) for obj, n in zip(objects, counts)])
        owners = [inputs[k] for k, n in enumerate(counts) for _ in range(n)]
        return list(self.model.verify(encoded, flat, templates, owners).clamp(0, 1).split(counts))

    @property
    def _appearance(self) -> bool:
        """Whether confidences mix in the model's appearance verifier (appearance_weight)."""
        return bool(self.settings.appearance_weight) and self._verifies and getattr(self.model, "appearance", None) is not None

    def _looks(self, image: Tensor, objects: list[_Object], boxes: Tensor) -> Tensor:
        """[objects, K]: the appearance verifier's answer for each (frame-pixel xyxy) box of boxes [K, 4], per object."""
        return self.model.appearance.identity(image, boxes, torch.cat([obj.appearance for obj in objects]))  # type: ignore[misc]

    def _mixed(self, identity: Tensor, looks: Tensor) -> Tensor:
        """Identities mixed with the appearance verifier's answers for the same boxes, by appearance_weight."""
        weight = self.settings.appearance_weight
        return (1 - weight) * identity + weight * looks.to(identity)

    def _mix_appearance(self, image: Tensor, objects: list[_Object], picks: list[Optional[_Pick]]) -> None:
        """Each winner's confidence mixed with the appearance verifier's answer for its box (appearance_weight)."""
        chosen = [k for k, pick in enumerate(picks) if pick is not None]
        if not (chosen and self._appearance):
            return
        boxes = torch.stack([picks[k].box for k in chosen])  # type: ignore[union-attr]
        looks = self._looks(image, [objects[k] for k in chosen], boxes).diagonal()  # each object's own winner
        mixed = self._mixed(boxes.new_tensor([picks[k].confidence for k in chosen]), looks)  # type: ignore[union-attr]
        for k, confidence in zip(chosen, mixed.tolist()):
            picks[k].confidence = confidence  # type: ignore[union-attr]

    def _smoothed(
        self, encoded: Encoded, objects: list[_Object], found: list[Candidates], windows: list[Window], inputs: list[int]
    ) -> list[Optional[_Pick]]:
        """The paper's temporal smoothness: each object's best candidates (by the motion prior), their
        masks, their scores blended with the masks' IoU with the previous answer; the best after that."""
        ranked = []
        for obj, c, window in zip(objects, found, windows):
            order = self._rank(obj, c.boxes, c.scores, window).argsort(descending=True)[:SMOOTHED_CANDIDATES]
            ranked.append((c.boxes[order], c.scores[order]))
        counts = [len(scores) for _, scores in ranked]
        boxes = torch.cat([obj.calibration.undo(b) for obj, (b, _) in zip(objects, ranked)])
        owners = [inputs[k] for k, count in enumerate(counts) for _ in range(count)]
        masks = self._masks(encoded, list(boxes), owners) if len(boxes) else []
        picks: list[Optional[_Pick]] = []
        start = 0
        for obj, window, (b, scores), count in zip(objects, windows, ranked, counts):
            if not count:
                picks.append(None)
                continue
            mine = torch.stack(masks[start : start + count])
            start += count
            assert obj.smoother is not None
            rescored = obj.smoother.rescore(scores, mine)
            best = int(self._rank(obj, b, rescored, window).argmax())
            obj.smoother.observe(mine[best])
            value = float(rescored[best])
            picks.append(_Pick(b[best], value, value, value, mine[best]))
        return picks

    @property
    def _verifies(self) -> bool:
        """Whether answers report their identity (the model's verifier) as their confidence."""
        return self.settings.confidence == "identity" and hasattr(self.model, "verify")

    def _verify(self, encoded: Encoded, objects: list[_Object], picks: list[Optional[_Pick]], inputs: list[int]) -> None:
        """Each winner's identity becomes the confidence it reports (after the temporal smoothness)."""
        chosen = [k for k, pick in enumerate(picks) if pick is not None]
        if not chosen:
            return
        identities = self._identities(encoded, [objects[k] for k in chosen], [picks[k].box[None] for k in chosen], [inputs[k] for k in chosen])  # type: ignore[union-attr]
        for k, identity in zip(chosen, identities):
            picks[k].confidence = float(identity[0])  # type: ignore[union-attr]

    def _add_masks(self, encoded: Encoded, objects: list[_Object], picks: list[Optional[_Pick]], inputs: list[int]) -> None:
        """Each present winner's mask, all in one call of the network (on the network's own box: the
        mask head was trained on those); an answer reported absent has none (masks follow presence)."""
        threshold = self.settings.presence_threshold
        chosen = [k for k, pick in enumerate(picks) if pick is not None and pick.confidence >= threshold]
        if not chosen:
            return
        boxes = [objects[k].calibration.undo(picks[k].box) for k in chosen]  # type: ignore[union-attr]
        for k, mask in zip(chosen, self._masks(encoded, boxes, [inputs[k] for k in chosen])):
            picks[k].mask = mask  # type: ignore[union-attr]

    def _masks(self, encoded: Encoded, boxes: list[Tensor], inputs: list[int]) -> list[Tensor]:
        stacked = torch.stack(boxes)
        probs = self.model.masks(encoded, stacked, inputs)
        return list(paste_binary_masks(probs, stacked, self.frame_size, self.settings.mask_threshold))

    def _missing(self, obj: _Object) -> TrackResult:
        """No candidate at all: absent where it was last seen, the search widened."""
        if obj.smoother is not None:
            obj.smoother.observe(None)
        self._widen(obj)
        return TrackResult(obj.box, 0.0, False, None)

    def _answer(self, obj: _Object, pick: _Pick) -> TrackResult:
        """The answer for the winner: present when the confidence it reports clears
        presence_threshold; the box follows it when that clears follow_threshold, its size moving
        by the ranking score."""
        confidence, score = pick.confidence, pick.score
        present = confidence >= self.settings.presence_threshold
        winner = tuple(xyxy_to_xywh(pick.box).tolist())
        obj.held = self._holds(obj, score)
        if confidence >= self.settings.follow_threshold and not obj.held:
            followed = _inside(self._prior().follow(obj.box, winner, score), self.frame_size)
            if self.settings.hold_ratio:
                obj.velocity = _running_motion(obj.velocity, obj.box, followed)
            obj.box = followed
            obj.context = self.settings.context
            reported = obj.box
        else:
            if obj.held:  # coasts along its recent motion while hidden
                x, y, w, h = obj.box
                obj.box = _inside((x + obj.velocity[0], y + obj.velocity[1], w, h), self.frame_size)
            self._widen(obj)
            reported = winner
        return TrackResult(reported, confidence, present, None if pick.mask is None else pick.mask.cpu().numpy())

    def _holds(self, obj: _Object, score: float) -> bool:
        """Whether the box holds instead of following a winner whose score fell below hold_ratio x
        the object's running score (which follows the winners followed and sinks while held)."""
        if not self.settings.hold_ratio:
            return False
        if obj.level is not None and score < self.settings.hold_ratio * obj.level:
            obj.level *= LEVEL_DECAY
            return True
        obj.level = score if obj.level is None else obj.level + LEVEL_RATE * (score - obj.level)
        return False

    def _widen(self, obj: _Object) -> None:
        """The object is taken as lost: its next crop grows by lost_growth (search_window stops it at twice the frame)."""
        obj.context = min(obj.context * self.settings.lost_growth, 8.0 * self.settings.context)


def _pick(found: Candidates, index: int, confidence: float) -> _Pick:
    """Candidate `index` of `found` as a winner reporting `confidence`."""
    return _Pick(found.boxes[index], float(found.scores[index]), float(found.reported[index]), confidence)


def _sizes(box: Tensor, last: Box) -> Tensor:
    """Boxes [3, 4] (xyxy) at the centre of box (xyxy): its own size, the geometric mean with the
    last answer's (x, y, w, h) and the last answer's."""
    centre, size = (box[:2] + box[2:]) / 2, box[2:] - box[:2]
    previous = size.new_tensor(last[2:]).clamp(min=1e-3)
    sizes = torch.stack([size, (size.clamp(min=1e-3) * previous).sqrt(), previous])
    return torch.cat([centre - sizes / 2, centre + sizes / 2], 1)


def _running_motion(velocity: tuple[float, float], before: Box, after: Box) -> tuple[float, float]:
    """The centre's motion per frame, averaged half and half with the last move (before -> after)."""
    moved = (after[0] + after[2] / 2 - before[0] - before[2] / 2, after[1] + after[3] / 2 - before[1] - before[3] / 2)
    return (0.5 * velocity[0] + 0.5 * moved[0], 0.5 * velocity[1] + 0.5 * moved[1])


def _inside(box: Box, frame_size: tuple[int, int]) -> Box:
    """Keep the box's centre inside the frame and its size at least 1 px (the next crop must see the frame)."""
    x, y, w, h = box
    height, width = frame_size
    w, h = max(w, 1.0), max(h, 1.0)
    cx = min(max(x + w / 2, 0.0), float(width))
    cy = min(max(y + h / 2, 0.0), float(height))
    return (cx - w / 2, cy - h / 2, w, h)


def open_session(
    model: TrackingModel, smoothing: Optional[bool] = None, presence_threshold: Optional[float] = None, **settings: Any
) -> TemplateTracker:
    """A tracking session on `model` (either family); settings override the model's defaults
    (None: the model's), e.g. smoothing=True for the paper's temporal smoothness."""
    return TemplateTracker(model, smoothing=smoothing, presence_threshold=presence_threshold, **settings)


class Tracker:
    """Track one object with either model family: `init(frame, box)`, then `update(frame)` per frame.

    The session is open_session's: settings (TrackingSettings: presence_threshold, context, ...)
    override the model's defaults; smoothing=True is the paper's temporal smoothness. Below
    presence_threshold the object is reported absent, with its best-guess box.

    Example:
        tracker = Tracker(model)
        tracker.init(first_frame, (x, y, w, h))
        for frame in frames:
            result = tracker.update(frame)
    """

    _ID = 0

    def __init__(
        self, model: TrackingModel, smoothing: Optional[bool] = None, presence_threshold: Optional[float] = None, **settings: Any
    ) -> None:
        self.session = open_session(model, smoothing, presence_threshold, **settings)

    @property
    def smoother(self) -> Optional[TemporalSmoother]:
        obj = self.session.objects.get(self._ID)
        return None if obj is None else obj.smoother

    def init(self, frame: Frame, box_xywh: Sequence[float]) -> TrackResult:
        """Start (or restart) the track on `frame` with the object's (x, y, w, h) box; returns the
        answer on that frame (the box given, score 1, and the network's mask in it)."""
        if self._ID in self.session.objects:
            self.session.remove(self._ID)
        self.session.frame_index = 0
        return self.session.start(frame, {self._ID: box_xywh})[self._ID]

    def update(self, frame: Frame) -> TrackResult:
        """Locate the object in the next frame."""
        if self._ID not in self.session.objects:
            raise RuntimeError("call init(frame, box) before update(frame)")
        return self.session.update(frame)[self._ID]
