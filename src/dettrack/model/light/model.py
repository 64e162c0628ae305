"""LightDetTrack: a COCO-trained NanoDet-m that detects, and from one template box tracks any object.

Detection mode is the COCO detector unchanged. Tracking mode is the paper's method on its
pyramid: a ridge-regression template T_d from the PAN levels of the template frame
(template.TemplateBuilder, one positive per level), every level reweighted by its similarity
to T_d (attention.reweight), then the same dense head, read class-agnostically: the object
logit is the largest COCO class logit plus a learned correction that starts at zero, so the
tracker works before any training. The box is the COCO box regressor's. A Mask R-CNN style
mask head segments chosen boxes from RoI-aligned pyramid features (28 x 28).

It serves the tracking session through the small interface of interface.py: encode a frame
or crops, make templates, candidates for templates, masks for boxes, identities of boxes. Its other
jobs live beside it: passes.py shares pyramid passes among many crops, verifier.py solves and reads
the identity verifier, runtime.py runs the pyramid on onnxruntime, training.py computes its
training batches' losses (losses.py's terms).
"""

import warnings
from collections import OrderedDict
from typing import Any, Optional, Sequence

import torch
from torch import Tensor, nn
from torchvision.models.detection import MaskRCNN_ResNet50_FPN_Weights
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.roi_heads import paste_masks_in_image

from ...boxes import xyxy_to_xywh
from ...crops import crop_images, letterbox, search_window
from ...tracking.settings import TrackingSettings
from ..appearance import AppearanceVerifier
from ..attention import reweight
from ..interface import Candidates, Encoded, Window
from ..roi_align import MultiScaleRoIAlign
from ..template import TemplateBuilder, solve_verifier
from . import runtime
from .decode import cell_centres, decode_level, detections
from .layout import TemplateLayout
from .passes import by_pass, crop_passes, cut_out, frame_passes
from .spatial import FILTER_SIZE, FILTER_STRIDE, at_level, filter_responses, solve_filters
from .training import detection_batch_losses, tracking_batch_losses
from .nanodet import INPUT_SIZE, NUM_CLASSES, STRIDES, NanoDet
from .verifier import VERIFIER_BINS, VERIFIER_STRIDE, describe, sample_boxes

OTHER_OBJECTS = 100  # the template crop's detections (class-agnostic, above OTHER_SCORE) that are the verifier's negatives
OTHER_SCORE = 0.05
RIVALS = 50  # the template's own best candidates on its frame, also negatives where they miss the object
SHARED_SCALE = 1.25  # crops whose sizes differ by at most this factor may share one pyramid pass

FAMILY = "light"
# COCO's category names by id (0: background, "N/A" for ids COCO left unused)
_COCO_CATEGORIES: list[str] = MaskRCNN_ResNet50_FPN_Weights.COCO_V1.meta["categories"]


class LightDetTrack(nn.Module):
    """NanoDet-m with a template-attention tracking mode and a mask head.

    Args:
        input_size: side of the square network input for full frames (letterboxed) and crops.
        num_negatives: background cells for the ridge template (more than the pyramid has: all).
        ridge_lambda: ridge strength relative to the mean squared norm of the features.
        mask_channels: width of the mask head's four 3x3 convolutions.
        track_strides: the pyramid levels whose cells are tracking candidates. In the tracker's
            crop the object spans about a quarter to a half of the input, where the stride-8
            level's cells seldom win: leaving its head out kept AO and saves most of the
            dense head's time (its maps still serve the template and the masks).
        spatial_filter: weight of the spatial template's response in the tracking score
            (spatial.py; 0: the score is the head's object probability alone).
        class_profile: temperature of the template's class profile (0: off). The head's object
            logit is its largest COCO class logit, so any person or giraffe outranks a helmet or
            a glass. With a profile, the template also keeps which COCO classes its object
            resembles (their probabilities on the template crop, sharpened by 1 / temperature,
            summing to 1), and the ranking reads each cell's class logits weighted by that
            profile: an object of another kind no longer outranks the target for being more of
            an object. The presence term stays the largest class probability.
        appearance: hold an appearance verifier (model/appearance.py: a frozen ImageNet
            MobileNetV2 and a ridge on its view of each box), whose answer the session mixes into
            the confidence by the tracking setting appearance_weight. Its weights come from
            build_light_model's appearance file, or from the checkpoint.
        int8_masks: the digest of an int8 mask head's calibration (quantize.py, `dettrack export
            --int8-masks`; "": none). On CPU the mask head then runs as the int8 graph of these
            weights and that calibration: about twice as fast, the same masks within rounding.
            Where the cache holds no such graph (the weights changed since), fp32, with a warning.
    """

    family = FAMILY
    detection_classes = len(_COCO_CATEGORIES)  # its labels are COCO category ids (1..90; 0 background)

    def __init__(
        self,
        input_size: int = INPUT_SIZE,
        num_negatives: int = 4096,
        ridge_lambda: float = 0.1,
        mask_channels: int = 96,
        track_strides: Sequence[int] = (16, 32),
        spatial_filter: float = 0.5,
        class_profile: float = 0.5,
        appearance: bool = False,
        int8_masks: str = "",
    ) -> None:
        super().__init__()
        if input_size % 32 or input_size < 64:
            raise ValueError(f"input_size must be a multiple of 32 and at least 64, got {input_size}")
        track_strides = sorted({int(s) for s in track_strides})
        if not track_strides or any(s not in STRIDES for s in track_strides):
            raise ValueError(f"track_strides must be some of the pyramid's strides {STRIDES}, got {track_strides}")
        if not 0.0 <= spatial_filter <= 1.0:
            raise ValueError(f"spatial_filter must be in [0, 1], got {spatial_filter}")
        if class_profile < 0:
            raise ValueError(f"class_profile must be 0 (off) or a temperature > 0, got {class_profile}")
        self.track_strides = track_strides
        self.spatial_filter = float(spatial_filter)
        self.class_profile = float(class_profile)
        self.input_size = input_size
        self.detector = NanoDet()
        channels = self.detector.neck.out_channels
        # class-agnostic correction of the object logit, per level; zero: max COCO class logit as it is
        self.objectness = nn.ModuleList(nn.Conv2d(channels, 1, 1) for _ in STRIDES)
        for conv in self.objectness:
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)
        self.template_builder = TemplateBuilder("linreg", num_negatives, ridge_lambda, calibrate=True, levels="all")
        levels = [str(s) for s in STRIDES]
        self.mask_pool = MultiScaleRoIAlign(levels, output_size=14, sampling_ratio=2)
        layers = (mask_channels,) * 4
        group_norm = lambda c: nn.GroupNorm(max(1, c // 8), c)  # noqa: E731
        self.mask_head = MaskRCNNHeads(channels, layers, dilation=1, norm_layer=group_norm)
        self.mask_predictor = MaskRCNNPredictor(mask_channels, mask_channels, 1)
        # the two as one module for onnxruntime, kept out of the module tree (no second copy in state_dict)
        object.__setattr__(self, "mask_net", nn.Sequential(self.mask_head, self.mask_predictor))
        self.config: dict[str, Any] = {
            "family": FAMILY,
            "input_size": input_size,
            "num_negatives": num_negatives,
            "ridge_lambda": ridge_lambda,
            "mask_channels": mask_channels,
            "track_strides": track_strides,
            "spatial_filter": self.spatial_filter,
        }
        if class_profile:
            self.config["class_profile"] = self.class_profile
        self.appearance = AppearanceVerifier() if appearance else None
        if appearance:
            self.config["appearance"] = True
        self.set_int8_masks(int8_masks)
        self.tracking_defaults: dict[str, Any] = {}
        self._layout: Optional[tuple[tuple[bool, bool], TemplateLayout]] = None
        self._teacher: list[NanoDet] = []  # the original detector, frozen, for distillation (not part of the model)
        # CPU inference runs the trunk and PAN on onnxruntime when it is installed ("torch": never)
        self.runtime = "onnxruntime"

    @property
    def layout(self) -> TemplateLayout:
        """The parts of this model's templates (layout.py), as its options are now (built again only
        when spatial_filter or class_profile is switched on or off)."""
        key = (bool(self.spatial_filter), bool(self.class_profile))
        if self._layout is None or self._layout[0] != key:
            channels = self.detector.neck.out_channels
            sizes = OrderedDict(
                td=channels,
                filter=(channels * FILTER_SIZE * FILTER_SIZE + 1) if key[0] else 0,
                profile=NUM_CLASSES if key[1] else 0,
                verifier=channels * VERIFIER_BINS * VERIFIER_BINS,
            )
            self._layout = (key, TemplateLayout(sizes))
        return self._layout[1]

    def add_appearance(self, source: str) -> None:
        """Hold an appearance verifier of the MobileNetV2 weights `source` (AppearanceVerifier.load_imagenet)
        from now on, saved with the model (`dettrack export --appearance`)."""
        verifier = AppearanceVerifier()
        verifier.load_imagenet(source)
        self.appearance = verifier.to(next(self.parameters()).device)
        self.config["appearance"] = True

    @property
    def tracking_settings(self) -> TrackingSettings:
        """The settings this model tracks with by default (its tracking_defaults, complete)."""
        return TrackingSettings.from_mapping(self.tracking_defaults, "the model's tracking defaults")

    @property
    def teacher(self) -> Optional[NanoDet]:
        """The original detector detection batches distil (None until set_teacher)."""
        return self._teacher[0] if self._teacher else None

    def set_teacher(self, teacher: NanoDet) -> None:
        """The frozen detector whose outputs detection batches distil (training only; never saved)."""
        teacher = teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        self._teacher = [teacher]

    def train(self, mode: bool = True) -> "LightDetTrack":
        """Batch norms stay in inference mode: their statistics are COCO's, batches here are tiny."""
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    def forward(
        self,
        images: list[Tensor],
        targets: Optional[list[dict[str, Tensor]]] = None,
        template_images: Optional[list[Tensor]] = None,
        template_boxes: Optional[Tensor] = None,
    ) -> Any:
        """Training: the loss dict of a tracking batch (with template_images / template_boxes) or a
        detection batch; targets as torchvision's (boxes xyxy in frame pixels, masks). Eval: detect()."""
        if not self.training:
            return [self.detect(image) for image in images]
        if targets is None:
            raise ValueError("training needs targets")
        if template_images is not None:
            if template_boxes is None:
                raise ValueError("template_images need template_boxes")
            return tracking_batch_losses(self, images, targets, template_images, template_boxes)
        return detection_batch_losses(self, images, targets)

    # -- the session's interface -------------------------------------------------------

    def encode(self, image: Tensor, windows: Optional[Sequence[Window]] = None, size: Optional[int] = None) -> Encoded:
        """The pyramid of a [3, H, W] frame in [0, 1]: letterboxed whole (windows=None) or as square crops.

        windows: (left, top, side) squares in frame pixels, each resized to size x size
        (default input_size); parts outside the frame are black, as in NanoDet's letterbox.
        Many windows at inference share passes over the frame (passes.py): features then holds
        the levels candidates() reads, and Encoded.passes the pass each window came from.
        """
        size = size or self.input_size
        frame = (int(image.shape[-2]), int(image.shape[-1]))
        windows = [letterbox(frame)] if windows is None else list(windows)
        if len(windows) == 1 or self.training:
            return Encoded(self._pyramid(crop_images(image, windows, size)), windows, size, frame)
        passes = frame_passes(self._pyramid, image, windows, size, SHARED_SCALE)
        return Encoded(cut_out(passes, windows, size, self._read_strides()), windows, size, frame, passes=passes)

    def make_template(self, encoded: Encoded, boxes: Tensor) -> Tensor:
        """Templates [B, T] (layout.py) from an encoding of B crops (or one frame for every box) and
        boxes [B, 4] xyxy in frame pixels: T_d, with spatial_filter each object's spatial filter, with
        class_profile its class profile, and its identity verifier (verifier.py)."""
        boxes = boxes.reshape(-1, 4).float()
        features = encoded.features
        if encoded.passes is not None:
            features = cut_out(encoded.passes, encoded.windows, encoded.size, STRIDES)
        if encoded.batch == 1 and len(boxes) > 1:
            features = OrderedDict((k, f.expand(len(boxes), -1, -1, -1)) for k, f in features.items())
        inputs = encoded.boxes_to_inputs(boxes)
        sizes = [(encoded.size, encoded.size)] * len(boxes)
        template = self.template_builder(features, inputs, sizes, (encoded.size, encoded.size))
        layout = self.layout
        parts = {"td": template, "verifier": template.new_zeros(len(boxes), layout.sizes["verifier"])}
        if "filter" in layout:
            fmap = features[str(FILTER_STRIDE)]  # one encoded input: one map (and one system) for every box
            parts["filter"] = solve_filters(fmap[:1] if encoded.batch == 1 else fmap, inputs).to(template.dtype)
        if "profile" in layout:
            parts["profile"] = self._class_profiles(features, template, inputs).to(template.dtype)
        templates = layout.pack(parts)
        # the verifier's negatives include what this template itself would answer on its own frame (its rivals)
        rivals = [encoded.to_input(c.boxes, 0 if encoded.batch == 1 else i) for i, c in enumerate(self.candidates(encoded, templates, RIVALS))]
        verifiers = self._verifiers(features, inputs, encoded.size, rivals).to(template.dtype)
        return layout.replaced(templates, "verifier", verifiers)

    def update_templates(self, encoded: Encoded, boxes: Tensor, templates: Tensor, rate: float) -> Tensor:
        """Templates [B, T] whose spatial filter moved by `rate` towards the one solved on boxes [B, 4]
        (xyxy, frame pixels; one input each, or one for all): a correlation filter's running
        average, as KCF and CSRT keep theirs, so the filter follows the object's changing look.
        T_d, the class profile and the verifier stay the template frame's: what decides presence
        and identity keeps answering to the object first given (moving T_d too found look-alikes
        better but kept reporting a look-alike present after the object left; docs/experiments.md)."""
        layout = self.layout
        if "filter" not in layout:
            return templates
        boxes = boxes.reshape(-1, 4).float()
        # with shared passes too, features holds this level: candidates() reads it
        fresh = solve_filters(encoded.features[str(FILTER_STRIDE)], encoded.boxes_to_inputs(boxes))
        moved = torch.lerp(layout.part(templates, "filter"), fresh.to(templates.dtype), rate)
        return layout.replaced(templates, "filter", moved)

    def _verifiers(self, features: "OrderedDict[str, Tensor]", boxes: Tensor, size: int, rivals: list[Tensor]) -> Tensor:
        """Each object's identity verifier [B, C * 16] on its template input (boxes [B, 4], input
        pixels, box i on input i): its box against boxes of its size all over the input, the other
        objects the detector finds there and its own best candidates there (rivals[i], input pixels)
        that are not the object."""
        levels = OrderedDict((k, f) for k, f in features.items() if int(k) in self.track_strides)
        logits, found, _, _ = self.dense(levels)
        fmap = features[str(VERIFIER_STRIDE)]
        out = []
        for i, box in enumerate(boxes):
            probs, order = logits[i].sigmoid().topk(min(OTHER_OBJECTS, logits.shape[1]))
            positives, negatives = sample_boxes(box, size, torch.cat([found[i, order[probs > OTHER_SCORE]], rivals[i].to(found.dtype)]))
            rois = [torch.cat([b.new_full((len(b), 1), float(i)), b.to(fmap.dtype)], 1) for b in (positives, negatives)]
            out.append(solve_verifier(describe(fmap, rois[0]), describe(fmap, rois[1])))
        return torch.stack(out)

    def verify(self, encoded: Encoded, boxes: Tensor, templates: Tensor, inputs: Optional[Sequence[int]] = None) -> Tensor:
        """Identity [K] of boxes [K, 4] (xyxy, frame pixels): how much box k looks like the object of
        templates[k] (about 1) rather than what surrounded it on its template frame (about 0), by
        its verifier (verifier.py), pooled from the pass that box's input came from.

        inputs: which input of the encoding each box is on (default: the first for all)."""
        if len(boxes) == 0:
            return boxes.new_zeros(0)
        inputs = list(inputs) if inputs is not None else [0] * len(boxes)
        passes = encoded.passes or crop_passes(encoded.features, encoded.windows, encoded.size)
        name = str(VERIFIER_STRIDE)
        weights = self.layout.part(templates, "verifier").float()
        out = boxes.new_zeros(len(boxes))
        mine = [passes[i] for i in inputs]
        for group in by_pass(mine):
            source = mine[group[0]]
            rois = torch.cat([torch.cat([boxes.new_tensor([[float(mine[k].index)]]), mine[k].to_input(boxes[k : k + 1])], 1) for k in group])
            out[group] = (describe(source.features[name], rois) * weights[group]).sum(1).to(out.dtype)
        return out

    def _class_profiles(self, features: "OrderedDict[str, Tensor]", templates: Tensor, boxes: Tensor) -> Tensor:
        """Each object's class profile [B, 80]: the mean class probabilities of the tracking
        levels' cells in the middle half of its box (boxes [B, 4], input pixels) on its
        template-reweighted crop, sharpened by 1 / class_profile and summing to 1."""
        levels = OrderedDict((k, f) for k, f in features.items() if int(k) in self.track_strides)
        reweighted, _ = reweight(levels, templates)
        centre, half = (boxes[:, :2] + boxes[:, 2:]) / 2, (boxes[:, 2:] - boxes[:, :2]) / 4
        total, count = 0.0, 0.0
        for name, feature in reweighted.items():
            stride = int(name)
            _, cls, _ = self.detector.head.level(feature, STRIDES.index(stride))
            cells = cell_centres(cls.shape[-2], cls.shape[-1], stride, cls.device)
            near = ((cells[None] - centre[:, None]).abs() <= half.clamp(min=stride / 2)[:, None]).all(-1).float()  # [B, N]
            total = total + torch.einsum("bkn,bn->bk", cls.sigmoid().flatten(2), near)
            count = count + near.sum(1, keepdim=True)
        profile = (total / count.clamp(min=1)).pow(1 / self.class_profile)
        return profile / profile.sum(1, keepdim=True).clamp(min=torch.finfo(profile.dtype).tiny)

    def candidates(self, encoded: Encoded, templates: Optional[Tensor], top_k: int = 100) -> list[Candidates]:
        """Every template's best top_k cells, boxes in frame pixels, ranked by the object
        probability blended with the spatial filter's response where the templates carry one
        (the probability alone is then their presence: a changed pose lowers the response, and
        must not make a plainly visible object absent).

        encoded holds one input shared by all templates or one input per template.
        templates=None: no attention (class-agnostic detection).
        """
        features = OrderedDict((k, f) for k, f in encoded.features.items() if int(k) in self.track_strides)
        filters, profiles = None, None
        if templates is not None:
            layout = self.layout
            layout.check(templates)
            filters = layout.part(templates, "filter") if "filter" in layout else None
            profiles = layout.part(templates, "profile") if "profile" in layout else None
            features, _ = reweight(features, layout.part(templates, "td"))
        logits, boxes, _, ranking = self.dense(features, profiles)
        probs = logits.sigmoid()
        scores, presence = probs, None
        if profiles is not None:
            scores, presence = ranking.sigmoid(), probs
        if filters is not None:
            response = filter_responses(encoded.features[str(FILTER_STRIDE)], filters)
            cells = torch.cat([at_level(response, f.shape[-2:]).flatten(1) for f in features.values()], 1)
            scores, presence = (1 - self.spatial_filter) * scores + self.spatial_filter * cells.clamp(0, 1), probs
        out = []
        for i in range(scores.shape[0]):
            k = min(top_k, scores.shape[1])
            score, index = scores[i].topk(k)
            window = 0 if encoded.batch == 1 else i
            out.append(Candidates(encoded.to_frame(boxes[i, index], window), score, None if presence is None else presence[i, index]))
        return out

    def masks(self, encoded: Encoded, boxes: Tensor, windows: Optional[Sequence[int]] = None) -> Tensor:
        """[K, M, M] mask probabilities of boxes [K, 4] (xyxy, frame pixels) in their boxes, pooled
        from the pass each box's input came from.

        windows: which input of the encoding each box is on (default: the first for all).
        """
        if len(boxes) == 0:
            return boxes.new_zeros(0, 28, 28)
        return self._mask_logits(self.mask_rois(encoded, boxes, windows)).sigmoid()[:, 0]

    def mask_rois(self, encoded: Encoded, boxes: Tensor, windows: Optional[Sequence[int]] = None) -> Tensor:
        """The mask head's input [K, C, 14, 14]: boxes [K, 4] (xyxy, frame pixels) RoI-aligned from the
        pass each box's input came from (windows as in masks()), in the boxes' order."""
        windows = list(windows) if windows is not None else [0] * len(boxes)
        passes = encoded.passes or crop_passes(encoded.features, encoded.windows, encoded.size)
        mine = [passes[w] for w in windows]
        pooled, order = [], []
        for group in by_pass(mine):
            source = mine[group[0]]
            batch = len(next(iter(source.features.values())))
            members: list[list[int]] = [[] for _ in range(batch)]
            for j in group:
                members[mine[j].index].append(j)
            rois = [torch.cat([mine[j].to_input(boxes[j : j + 1]) for j in m]) if m else boxes.new_zeros(0, 4) for m in members]
            pooled.append(self.mask_pool(source.features, rois, [source.input_size] * batch))
            order += [j for m in members for j in m]
        together = torch.cat(pooled) if len(pooled) > 1 else pooled[0]
        out = torch.empty_like(together)
        out[order] = together
        return out

    def segment(self, image: Tensor, boxes: Tensor) -> Tensor:
        """[K, H, W] mask probabilities of boxes [K, 4] (xyxy, frame pixels) on a [3, H, W] frame in [0, 1],
        each segmented in its own crop at the tracker's scale (the first frame's masks)."""
        probs = self.masks(self.encode_around(image, boxes), boxes, range(len(boxes)))
        return paste_masks_in_image(probs[:, None], boxes, (int(image.shape[-2]), int(image.shape[-1])))[:, 0]

    def encode_around(self, image: Tensor, boxes: Tensor) -> Encoded:
        """Each of boxes [K, 4] (xyxy, frame pixels) encoded in its own search crop, at the tracker's scale."""
        settings = self.tracking_settings
        frame = (int(image.shape[-2]), int(image.shape[-1]))
        windows = [search_window(tuple(xyxy_to_xywh(b).tolist()), settings.context, frame) for b in boxes]
        return self.encode(image, windows, settings.search_size)

    # -- detection mode ----------------------------------------------------------------

    def detect(
        self,
        image: Tensor,
        score_threshold: float = 0.05,
        iou_threshold: float = 0.6,
        max_detections: int = 100,
        masks: bool = True,
    ) -> dict[str, Tensor]:
        """COCO detection of one [3, H, W] frame in [0, 1], NanoDet's rule (per-class NMS).

        Returns boxes (xyxy, frame pixels), scores, labels (COCO category ids 1..90, as
        torchvision's detectors give them) and, with masks=True, masks [N, 1, H, W] (probabilities).
        """
        encoded = self.encode(image)
        scores, boxes = [], []
        for (_, cls, reg), stride in zip(self.detector.head(list(encoded.features.values())), STRIDES):
            scores.append(cls.sigmoid().flatten(2).transpose(1, 2)[0])
            boxes.append(decode_level(reg, stride)[0])
        found = detections(torch.cat(scores), encoded.to_frame(torch.cat(boxes)), score_threshold, iou_threshold, max_detections)
        found["boxes"] = clip(found["boxes"], encoded.frame_size)
        found["labels"] = coco_category_ids(found["labels"].device)[found["labels"]]
        if masks:
            probs = self.masks(encoded, found["boxes"])
            found["masks"] = paste_masks_in_image(probs[:, None], found["boxes"], encoded.frame_size)
        return found

    def runtime_graphs(self) -> dict[str, bytes]:
        """The onnxruntime graphs of this model's CPU inference (the pyramid and the mask head, its
        int8 graph too where it has one), by their cache names (runtime.graphs_of): what `dettrack
        export` stores in a checkpoint, so that loading it seeds the cache and its first run exports
        nothing. An int8 mask head whose graph the cache lacks is switched off, with a warning."""
        side = self.mask_pool.output_size[0]
        example = torch.zeros(1, self.detector.neck.out_channels, side, side)
        graphs = runtime.graphs_of(self.detector, self.mask_net, example)
        if self.appearance is not None:
            graphs.update(self.appearance.graphs())
        if self.int8_masks:  # calibrated at an export (quantize.py), never made here
            name = runtime.int8_graph_name(self.mask_net, self.int8_masks)
            graph = runtime.cached_graph(name)
            if graph is not None:
                graphs[name] = graph
            else:  # the weights changed since (averaged, fine-tuned): a file without it would warn at every run
                warnings.warn("the int8 mask head's calibration is of other weights: switched off (fp32); --int8-masks IMAGES calibrates it again")
                self.set_int8_masks("")
        return graphs

    def set_int8_masks(self, calibration: str) -> None:
        """Run the mask head as the int8 graph of that calibration's digest from now on ("": in fp32),
        and save the model so (its config)."""
        self.int8_masks = str(calibration)
        if calibration:
            self.config["int8_masks"] = self.int8_masks
        else:
            self.config.pop("int8_masks", None)

    # -- internals ---------------------------------------------------------------------

    def _pyramid(self, inputs: Tensor) -> "OrderedDict[str, Tensor]":
        """The PAN maps of inputs: by onnxruntime for CPU inference without gradients, else by PyTorch."""
        if self._fast(inputs):
            return runtime.onnx_pyramid(self.detector)(inputs)
        return self.detector.pyramid(inputs)

    def _mask_logits(self, pooled: Tensor) -> Tensor:
        """The mask head's logits [K, 1, 28, 28] of RoI features [K, C, 14, 14]: onnxruntime for CPU
        inference (its int8 graph with int8_masks)."""
        if self._fast(pooled):
            int8 = runtime.onnx_int8(self.mask_net, self.int8_masks) if self.int8_masks else None
            return (int8 or runtime.onnx_module(self.mask_net, pooled[:1]))(pooled)
        return self.mask_net(pooled)

    def _read_strides(self) -> list[int]:
        """The levels candidates() reads: the tracking levels, and the spatial filter's."""
        return sorted(set(self.track_strides) | ({FILTER_STRIDE} if self.spatial_filter else set()))

    def _fast(self, inputs: Tensor) -> bool:
        """Whether this call runs on onnxruntime: CPU inference without gradients, with it installed."""
        fast = self.runtime == "onnxruntime" and inputs.device.type == "cpu" and not (self.training or torch.is_grad_enabled())
        return fast and runtime.available()

    def dense(
        self, features: "OrderedDict[str, Tensor]", profiles: Optional[Tensor] = None
    ) -> tuple[Tensor, Tensor, Tensor, Optional[Tensor]]:
        """Object logits [B, N], boxes [B, N, 4] (input pixels) and distance logits [B, N, 32] over
        all cells of the given levels (keyed by stride, finest first); with class profiles
        [B, 80], also the ranking logits [B, N] (the class logits weighted by the profile, in
        place of their largest; None without)."""
        logits, boxes, regs, ranking = [], [], [], []
        for name, feature in features.items():
            stride = int(name)
            index = STRIDES.index(stride)
            tower, cls, reg = self.detector.head.level(feature, index)
            correction = self.objectness[index](tower)
            logits.append((cls.amax(1, keepdim=True) + correction).flatten(1))
            if profiles is not None:
                ranking.append((torch.einsum("bk,bkhw->bhw", profiles.to(cls.dtype), cls)[:, None] + correction).flatten(1))
            boxes.append(decode_level(reg, stride))
            regs.append(reg.flatten(2).transpose(1, 2))
        return torch.cat(logits, 1), torch.cat(boxes, 1), torch.cat(regs, 1), torch.cat(ranking, 1) if ranking else None


# COCO category id (1..90) of each of the 80 detector classes: the sorted ids that name a category
_COCO_IDS = [i for i, name in enumerate(_COCO_CATEGORIES) if i > 0 and name != "N/A"]


def coco_category_ids(device: torch.device) -> Tensor:
    """COCO category id (1..90) of each of the 80 detector classes, as a tensor on `device`."""
    return torch.tensor(_COCO_IDS, device=device)


def clip(boxes: Tensor, frame_size: tuple[int, int]) -> Tensor:
    height, width = frame_size
    boxes = boxes.clone()
    boxes[..., 0::2] = boxes[..., 0::2].clamp(0, width)
    boxes[..., 1::2] = boxes[..., 1::2].clamp(0, height)
    return boxes


def build_light_model(
    detector_weights: Optional[str] = None, teacher: bool = True, appearance: Optional[str] = None, **options: Any
) -> LightDetTrack:
    """A LightDetTrack whose detector comes from the NanoDet-m ONNX file `detector_weights` (the
    original detector also becomes its frozen distillation teacher when `teacher`) and, with
    `appearance` (a MobileNetV2 weights file in torchvision's layout, or a torchvision weights
    name), an appearance verifier of those weights; options go to LightDetTrack (input_size,
    num_negatives, ridge_lambda, mask_channels)."""
    from .converter import load_nanodet_onnx

    model = LightDetTrack(**options)
    if appearance:
        model.add_appearance(str(appearance))
    if detector_weights is not None:
        load_nanodet_onnx(detector_weights, model.detector)
        if teacher:
            model.set_teacher(load_nanodet_onnx(detector_weights))
    return model
