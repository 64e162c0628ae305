"""DetTrack: one Mask R-CNN that detects, and from one template box tracks any object.

Detection mode is torchvision's MaskRCNN unchanged. Tracking mode reweights the
FPN pyramid of the search frame by its similarity to a discriminative template
(template.py, attention.py), then runs the same RPN, RoIAlign and shared head
trunks, ending in the class-agnostic tracking predictors (heads.py).
"""

import math
from collections import OrderedDict
from typing import Any, Callable, Optional, Sequence, Union

import torch
from torch import Tensor, nn
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.roi_heads import paste_masks_in_image
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import boxes as box_ops

from ..crops import crop_images
from ..tracking.settings import PAPER_TRACKING
from .attention import reweight
from .backbone import BACKBONES, build_backbone, default_trainable_layers, fold_frozen_batchnorm
from .heads import DetTrackRoIHeads
from .interface import Candidates, Encoded, Window
from .pooling import ThreadedMultiScaleRoIAlign
from .rpn import propose_scaled, shares_first_conv
from .template import TemplateBuilder
from .weights import load_torchvision_maskrcnn

Images = Union[Tensor, list[Tensor]]



class DetTrack(MaskRCNN):
    """Mask R-CNN with a template-attention tracking mode.

    Args:
        backbone: an FPN backbone (see backbone.build_backbone).
        num_classes: detection classes including background (COCO: 91); None when
            box_predictor and mask_predictor are given (torchvision's rule).
        template_variant: 'linreg' (default), 'center', 'mean_pos' or 'mean_diff'.
        num_negatives: background features sampled for the ridge template.
        ridge_lambda: ridge strength relative to the mean squared norm of the features.
        calibrate_template: scale T_d so the similarity at the template is exactly 1
            (template.calibrate_template); False keeps the raw ridge solution.
        template_levels: 'box' (the paper: the positive on the box's FPN level) or 'all'
            (one positive per level P2..P5; see template.TemplateBuilder).
        track_score_thresh, track_detections_per_img: candidates kept per frame in tracking.
        track_jitter_proposals: random boxes around the object added to the proposals in
            tracking training (see DetTrackRoIHeads); 0 trains on the RPN's proposals only.
        **kwargs: anything torchvision's MaskRCNN takes (min_size, rpn_*, box_*, ...).

    Calling conventions (images are lists of [3, H, W] float tensors in [0, 1], boxes xyxy):
        model(images, targets)                                  detection (torchvision's API)
        model(images, targets, templates=T)                     tracking with templates [B, D]
        model(images, targets, template_images=..., template_boxes=...)
                                                                tracking, template computed on the fly
    Training returns the loss dict; eval returns per-image dicts of boxes, labels, scores,
    masks ([N, 1, H, W] probabilities), ranked by score.
    """

    def __init__(
        self,
        backbone: torch.nn.Module,
        num_classes: Optional[int] = 91,
        template_variant: str = "linreg",
        num_negatives: int = 2048,
        ridge_lambda: float = 0.1,
        calibrate_template: bool = True,
        template_levels: str = "box",
        track_score_thresh: float = 0.0,
        track_detections_per_img: int = 10,
        track_jitter_proposals: int = 0,
        **kwargs: Any,
    ) -> None:
        # torchvision's default poolers, with RoIs pooled by several CPU threads in inference
        levels = ["0", "1", "2", "3"]
        kwargs.setdefault("box_roi_pool", ThreadedMultiScaleRoIAlign(levels, output_size=7, sampling_ratio=2))
        kwargs.setdefault("mask_roi_pool", ThreadedMultiScaleRoIAlign(levels, output_size=14, sampling_ratio=2))
        super().__init__(backbone, num_classes=num_classes, **kwargs)
        self.roi_heads = DetTrackRoIHeads(self.roi_heads, track_score_thresh, track_detections_per_img, track_jitter_proposals)
        self.template_builder = TemplateBuilder(template_variant, num_negatives, ridge_lambda, calibrate=calibrate_template, levels=template_levels)
        self.config: dict[str, Any] = {}
        # the tracking settings this model is meant to run with (tracking.TrackingSettings);
        # saved in checkpoints; a session's explicit settings override them
        self.tracking_defaults: dict[str, Any] = dict(PAPER_TRACKING)

    @property
    def detection_classes(self) -> int:
        """How many class ids (background included) its detections can carry."""
        return self.roi_heads.box_predictor.cls_score.out_features

    def forward(  # type: ignore[override]
        self,
        images: list[Tensor],
        targets: Optional[list[dict[str, Tensor]]] = None,
        templates: Optional[Tensor] = None,
        template_images: Optional[Images] = None,
        template_boxes: Optional[Tensor] = None,
    ) -> Any:
        if templates is None and template_images is None:
            return super().forward(images, targets)
        if templates is None:
            if template_boxes is None:
                raise ValueError("template_images need template_boxes")
            templates = self.make_template(template_images, template_boxes)
        return self.track(images, templates, targets)

    def make_template(self, source: Union[Encoded, Images], boxes: Tensor) -> Tensor:
        """Templates T_d [B, D] from boxes [B, 4] (xyxy, frame pixels), on an encoding (the tracking
        interface: one input per box, or one for all) or on B template frames (one each; a single
        [3, H, W] frame with a single box too).

        Compute once per object and reuse on every search frame. Differentiable.
        """
        if isinstance(source, Encoded):
            boxes = boxes.reshape(-1, 4).float()
            features = source.features
            if source.batch == 1 and len(boxes) > 1:
                features = OrderedDict((k, f.expand(len(boxes), -1, -1, -1)) for k, f in features.items())
            inputs = source.boxes_to_inputs(boxes)
            image_list = self._image_list(source, len(boxes))
            return self.template_builder(features, inputs, image_list.image_sizes, tuple(image_list.tensors.shape[-2:]))
        images = _as_list(source)
        boxes = boxes.reshape(-1, 4).to(images[0].device, torch.float32)
        if len(images) != len(boxes):
            raise ValueError(f"{len(images)} template images for {len(boxes)} boxes")
        image_list, scaled = self.transform(images, [{"boxes": b[None]} for b in boxes])
        features = self.backbone(image_list.tensors)
        scaled_boxes = torch.cat([t["boxes"] for t in scaled])
        padded = tuple(image_list.tensors.shape[-2:])
        return self.template_builder(features, scaled_boxes, image_list.image_sizes, padded)

    # -- the tracking interface (model/interface.py) -----------------------------------------

    def update_templates(self, encoded: Encoded, boxes: Tensor, templates: Tensor, rate: float) -> Tensor:
        """Templates T_d [B, D] moved by `rate` towards the ones made on boxes [B, 4] (xyxy, frame
        pixels) of this encoding: a running average of the object's look (the session's template_update)."""
        return torch.lerp(templates, self.make_template(encoded, boxes).to(templates.dtype), rate)

    def encode(self, image: Tensor, windows: Optional[Sequence[Window]] = None, size: Optional[int] = None) -> Encoded:
        """The pyramid of a [3, H, W] frame in [0, 1]: whole, through torchvision's resize to
        min_size / max_size (windows=None), or as square crops of the windows resized to
        size x size (default min_size); parts of a window outside the frame are black."""
        height, width = (int(v) for v in image.shape[-2:])
        if windows is None:
            image_list, _ = self.transform([image])
            in_size = tuple(image_list.image_sizes[0])
            features = self.backbone(image_list.tensors)
            return Encoded(features, [(0, 0, max(height, width))], max(in_size), (height, width), frame_input=in_size)
        size = size or self.transform.min_size[-1]
        crops = self.transform.normalize(crop_images(image, list(windows), size))
        features = self.backbone(self.transform.batch_images(list(crops)))
        return Encoded(features, list(windows), size, (height, width))

    def candidates(self, encoded: Encoded, templates: Optional[Tensor], top_k: int = 100) -> list[Candidates]:
        """Every template's candidates in tracking mode (reweight, RPN, RoI heads, NMS; at most
        top_k and track_detections_per_img), boxes xyxy in frame pixels, object probabilities ranked.

        encoded holds one input shared by all templates or one input per template; templates=None:
        no attention. The reweighted pyramid stays in encoded.attended for masks().
        """
        image_list = self._image_list(encoded)
        image_list, features, detections, _ = self._track(image_list, encoded.features, templates, max_candidates=top_k, with_masks=False)
        if templates is not None:
            encoded.attended = features
        return [
            Candidates(box_ops.clip_boxes_to_image(encoded.to_frame(d["boxes"], i if encoded.batch > 1 else 0), encoded.frame_size), d["scores"])
            for i, d in enumerate(detections)
        ]

    def masks(self, encoded: Encoded, boxes: Tensor, windows: Optional[Sequence[int]] = None) -> Tensor:
        """[K, M, M] probabilities of the tracking mask head in boxes [K, 4] (xyxy, frame pixels).

        windows: the input each box is on (default: the first for all); after candidates(), the
        template whose candidates it is among, so that it is segmented on the pyramid that
        template reweighted, as the heads saw it (without candidates(): the plain pyramid).
        """
        heads = self.roi_heads
        features = encoded.attended if encoded.attended is not None else encoded.features
        count = next(iter(features.values())).shape[0]
        windows = list(windows) if windows is not None else [0] * len(boxes)
        if len(windows) != len(boxes) or any(not 0 <= w < count for w in windows):
            raise ValueError(f"windows must give each of the {len(boxes)} boxes an input in [0, {count}), got {windows}")
        if len(boxes) == 0:
            return boxes.new_zeros(0, *(2 * side for side in heads.mask_roi_pool.output_size))  # the predictor doubles the RoI
        rois = [encoded.to_input(boxes[[j for j, w in enumerate(windows) if w == i]], i if encoded.batch > 1 else 0) for i in range(count)]
        order = [j for i in range(count) for j, w in enumerate(windows) if w == i]
        features = OrderedDict((name, f.contiguous()) for name, f in features.items())  # RoIAlign's CPU kernel reads NCHW
        pooled = heads.mask_roi_pool(features, rois, [encoded.input_size] * count)
        probs = heads.track_mask_predictor(heads.mask_head(pooled)).sigmoid()[:, 0]
        out = torch.empty_like(probs)
        out[order] = probs
        return out

    def segment(self, image: Tensor, boxes: Tensor) -> Tensor:
        """[K, H, W] mask probabilities of boxes [K, 4] (xyxy, frame pixels) on a [3, H, W] frame in [0, 1]:
        the tracking mask head on the whole frame's plain pyramid (an object's first frame)."""
        encoded = self.encode(image)
        probs = self.masks(encoded, boxes)
        return paste_masks_in_image(probs[:, None], boxes, encoded.frame_size)[:, 0]

    def _image_list(self, encoded: Encoded, count: Optional[int] = None) -> ImageList:
        """What the RPN and heads read of the network input: each input's size and the padded
        batch shape (torchvision's size_divisible rule), with no pixels."""
        height, width = encoded.input_size
        step = self.transform.size_divisible
        padded = (math.ceil(height / step) * step, math.ceil(width / step) * step)
        count = count or encoded.batch
        anchor = next(iter(encoded.features.values()))
        return ImageList(anchor.new_empty(count, 0, *padded), [(height, width)] * count)

    def track(
        self,
        images: Images,
        templates: Tensor,
        targets: Optional[list[dict[str, Tensor]]] = None,
        resize: bool = True,
        paste_masks: bool = True,
        max_candidates: Optional[int] = None,
    ) -> Any:
        """Tracking mode on search images, one template each (or one image shared by all templates).

        resize=False runs on the images at their own size (e.g. search-region crops already
        cut to the wanted input size) instead of rescaling them to min_size / max_size.
        paste_masks=False returns the masks as the head's [K, 1, 28, 28] probabilities in
        their boxes (paste the ones you need with torchvision's paste_masks_in_image).
        """
        images = _as_list(images)
        if self.training and targets is None:
            raise ValueError("tracking in training mode needs targets (one object box per search image, or none)")
        original_sizes = [tuple(img.shape[-2:]) for img in images]
        if resize:
            image_list, targets = self.transform(images, targets)
        else:
            normalized = [self.transform.normalize(img) for img in images]
            image_list = ImageList(self.transform.batch_images(normalized), [tuple(i.shape[-2:]) for i in normalized])
        features = self.backbone(image_list.tensors)
        return self.track_features(image_list, features, templates, original_sizes, targets, paste_masks, max_candidates)

    def track_features(
        self,
        image_list: ImageList,
        features: "OrderedDict[str, Tensor]",
        templates: Optional[Tensor],
        original_sizes: list[tuple[int, int]],
        targets: Optional[list[dict[str, Tensor]]] = None,
        paste_masks: bool = True,
        max_candidates: Optional[int] = None,
    ) -> Any:
        """The tracking head on an already computed pyramid: reweight, RPN, RoI heads, postprocess.

        A pyramid of one image is shared by all templates (many objects, one backbone pass, and
        in inference one pass of the RPN's first convolution: see rpn.propose_scaled).
        templates=None switches the attention off (S = 1): class-agnostic detection through
        the tracking predictors, the no-attention baseline. max_candidates caps the
        candidates (and so the mask head's work) per image below track_detections_per_img.
        """
        n_before = len(image_list.image_sizes)
        image_list, features, detections, losses = self._track(image_list, features, templates, targets, max_candidates)
        if self.training:
            return losses
        if len(image_list.image_sizes) > n_before:
            original_sizes = original_sizes * len(image_list.image_sizes)
        if paste_masks:
            return self.transform.postprocess(detections, image_list.image_sizes, original_sizes)
        raw = [d.pop("masks") for d in detections]
        detections = self.transform.postprocess(detections, image_list.image_sizes, original_sizes)
        for d, masks in zip(detections, raw):
            d["masks"] = masks
        return detections

    def _track(
        self,
        image_list: ImageList,
        features: "OrderedDict[str, Tensor]",
        templates: Optional[Tensor],
        targets: Optional[list[dict[str, Tensor]]] = None,
        max_candidates: Optional[int] = None,
        with_masks: bool = True,
    ) -> tuple[ImageList, "OrderedDict[str, Tensor]", list[dict[str, Tensor]], dict[str, Tensor]]:
        """Reweight, RPN, RoI heads: (the image list and pyramid as the heads saw them, one per
        template, the detections in input pixels, the losses in training)."""
        shared = None  # one pyramid under many templates: the RPN's first convolution is shared
        if templates is not None:
            n = templates.shape[0]
            if len(image_list.image_sizes) == 1 and n > 1:
                image_list = ImageList(image_list.tensors.expand(n, -1, -1, -1), image_list.image_sizes * n)
                if not self.training:
                    # the reweighted maps only feed RoIAlign here, which reads NCHW: one layout
                    # change of the shared pyramid instead of one per object (10 objects, 480p:
                    # about 8% of a frame on 2 CPU cores)
                    features = OrderedDict((name, f.contiguous()) for name, f in features.items())
                shared = features
            elif len(image_list.image_sizes) != n:
                raise ValueError(f"{len(image_list.image_sizes)} search images for {n} templates")
            features, maps = reweight(features, templates)
        if shared is not None and not self.training and shares_first_conv(self.rpn):
            boxes, rpn_losses = propose_scaled(self.rpn, image_list, shared, maps), {}
        else:
            boxes, rpn_losses = self.rpn(image_list, features, targets)
        detections, head_losses = self.roi_heads(
            features, boxes, image_list.image_sizes, targets, tracking=True, max_detections=max_candidates, with_masks=with_masks
        )
        return image_list, features, detections, {**rpn_losses, **head_losses}


def _as_list(images: Images) -> list[Tensor]:
    if isinstance(images, Tensor):
        return [images] if images.ndim == 3 else list(images)
    return list(images)


def build_model(
    name: str = "mobilenet_v2_fpn",
    backbone_weights: Optional[str] = None,
    out_channels: int = 256,
    trainable_layers: Optional[int] = None,
    maskrcnn_weights: Optional[str] = None,
    num_classes: int = 91,
    representation_size: int = 1024,
    mask_layers: Sequence[int] = (256, 256, 256, 256),
    mask_norm: Optional[str] = None,
    fold_batchnorm: bool = False,
    **options: Any,
) -> DetTrack:
    """Build a DetTrack on one of the backbones in backbone.BACKBONES.

    backbone_weights: ImageNet weights of the trunk (None, a torchvision weights name or a file).
    maskrcnn_weights: torchvision Mask R-CNN weights for the whole detection side
    ('MaskRCNN_ResNet50_FPN_Weights.COCO_V1' or a file), resnet50_fpn only.
    representation_size, mask_layers: widths of the shared box trunk (two FC layers) and
    mask trunk (3x3 convs); torchvision's Mask R-CNN sizes by default, smaller for CPU models.
    mask_norm: None (torchvision's v1 mask trunk) or "group": GroupNorm after each 3x3 conv,
    8 channels per group as in torchvision's v2 Mask R-CNN; it keeps the trunk trainable on
    unnormalised FPN features (without it, ReLUs die and the masks go flat).
    fold_batchnorm: the backbone's frozen batch norms folded into their convolutions
    (backbone.fold_frozen_batchnorm; a faster model for inference, as `dettrack export
    --fold-batchnorm` writes it).
    options: DetTrack / torchvision MaskRCNN keyword arguments.
    The arguments are kept in `model.config` so checkpoints can rebuild the model.
    """
    if name not in BACKBONES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(BACKBONES)}")
    if maskrcnn_weights is not None and name != "resnet50_fpn":
        raise ValueError("maskrcnn_weights (torchvision's COCO Mask R-CNN) only fit resnet50_fpn with out_channels=256")
    if trainable_layers is None:
        pretrained = backbone_weights is not None or maskrcnn_weights is not None
        trainable_layers = default_trainable_layers(name, pretrained)
    backbone = build_backbone(name, backbone_weights, out_channels, trainable_layers)
    if fold_batchnorm:
        fold_frozen_batchnorm(backbone.body)
    mask_layers = tuple(int(c) for c in mask_layers)
    resolution = 7  # torchvision's box RoIAlign output size
    heads = dict(
        box_head=TwoMLPHead(out_channels * resolution**2, representation_size),
        box_predictor=FastRCNNPredictor(representation_size, num_classes),
        mask_head=MaskRCNNHeads(out_channels, mask_layers, dilation=1, norm_layer=_mask_norm_layer(mask_norm)),
        mask_predictor=MaskRCNNPredictor(mask_layers[-1], mask_layers[-1], num_classes),
    )
    model = DetTrack(backbone, num_classes=None, **heads, **options)
    if maskrcnn_weights is not None:
        load_torchvision_maskrcnn(model, maskrcnn_weights)
    model.config = {
        "name": name,
        "out_channels": out_channels,
        "trainable_layers": trainable_layers,
        "num_classes": num_classes,
        "representation_size": representation_size,
        "mask_layers": list(mask_layers),
        **({"mask_norm": mask_norm} if mask_norm is not None else {}),
        **({"fold_batchnorm": True} if fold_batchnorm else {}),
        **options,
    }
    return model


def _mask_norm_layer(mask_norm: Optional[str]) -> Optional[Callable[[int], nn.Module]]:
    if mask_norm is None:
        return None
    if mask_norm != "group":
        raise ValueError(f"mask_norm must be None or 'group', got {mask_norm!r}")
    return lambda channels: nn.GroupNorm(max(1, channels // 8), channels)
