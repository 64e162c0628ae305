"""RoI heads shared by detection and tracking.

The box and mask trunks (box_head, mask_head) are shared; each mode has its own
final layers: class-specific predictors for detection (torchvision's, same names,
so COCO weights load as they are) and class-agnostic ones for tracking (object vs
background, one box regressor, one mask channel).
"""

import math
from collections import OrderedDict
from typing import Optional

import torch
from torch import Tensor
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNNPredictor
from torchvision.models.detection.roi_heads import RoIHeads, fastrcnn_loss, maskrcnn_inference, maskrcnn_loss
from torchvision.ops import boxes as box_ops

class DetTrackRoIHeads(RoIHeads):
    """torchvision's RoIHeads (with masks) plus tracking predictors and a `tracking` switch.

    Training skips the mask loss for images whose targets carry no "masks", so box-only
    data (tracking boxes, detection sets without masks) mixes with mask data in a batch.

    track_jitter_proposals > 0 adds that many random boxes around each tracking target to
    the RPN's proposals in training (the object's box shifted, grown and shrunk up to 2.5x):
    the RPN rarely proposes loose boxes around the one object, so without them the
    classifier never learns that a box twice the object's size is not the object.
    """

    def __init__(
        self,
        heads: RoIHeads,
        track_score_thresh: float = 0.0,
        track_detections_per_img: int = 10,
        track_jitter_proposals: int = 0,
    ) -> None:
        super().__init__(
            heads.box_roi_pool,
            heads.box_head,
            heads.box_predictor,
            fg_iou_thresh=heads.proposal_matcher.high_threshold,
            bg_iou_thresh=heads.proposal_matcher.low_threshold,
            batch_size_per_image=heads.fg_bg_sampler.batch_size_per_image,
            positive_fraction=heads.fg_bg_sampler.positive_fraction,
            bbox_reg_weights=heads.box_coder.weights,
            score_thresh=heads.score_thresh,
            nms_thresh=heads.nms_thresh,
            detections_per_img=heads.detections_per_img,
            mask_roi_pool=heads.mask_roi_pool,
            mask_head=heads.mask_head,
            mask_predictor=heads.mask_predictor,
        )
        if not self.has_mask():
            raise ValueError("DetTrackRoIHeads needs a mask branch")
        representation_size = heads.box_predictor.cls_score.in_features
        mask_channels = heads.mask_predictor.conv5_mask.in_channels
        mask_hidden = heads.mask_predictor.conv5_mask.out_channels
        self.track_box_predictor = FastRCNNPredictor(representation_size, 2)
        self.track_mask_predictor = MaskRCNNPredictor(mask_channels, mask_hidden, 1)
        self.track_score_thresh = track_score_thresh
        self.track_detections_per_img = track_detections_per_img
        self.track_jitter_proposals = track_jitter_proposals

    def forward(  # type: ignore[override]
        self,
        features: dict[str, Tensor],
        proposals: list[Tensor],
        image_shapes: list[tuple[int, int]],
        targets: Optional[list[dict[str, Tensor]]] = None,
        tracking: bool = False,
        max_detections: Optional[int] = None,
        with_masks: bool = True,
    ) -> tuple[list[dict[str, Tensor]], dict[str, Tensor]]:
        """Detection (tracking=False) or tracking (tracking=True) on already computed proposals.

        In tracking mode every target box is the one object of interest (labels are ignored);
        max_detections lowers track_detections_per_img for this call (fewer masks to compute);
        "scores" are the object probabilities. with_masks=False leaves the masks out in inference (a tracking
        session asks for the masks of the boxes it chooses).
        """
        if not self.training:
            # RoIAlign's CPU kernel reads NCHW maps: on channels-last ones (e.g. from a
            # channels-last model) it took 1.4x as long, which with many objects' proposals is most of a frame
            features = OrderedDict((name, f.contiguous()) for name, f in features.items())
        box_predictor = self.track_box_predictor if tracking else self.box_predictor
        mask_predictor = self.track_mask_predictor if tracking else self.mask_predictor
        if self.training:
            if targets is None:
                raise ValueError("targets are required in training")
            if tracking:
                targets = [{**t, "labels": torch.ones_like(t["labels"])} for t in targets]
                if self.track_jitter_proposals:
                    proposals = [
                        torch.cat([p, jitter_boxes(t["boxes"], self.track_jitter_proposals, shape)])
                        for p, t, shape in zip(proposals, targets, image_shapes)
                    ]
            proposals, matched_idxs, labels, regression_targets = self.select_training_samples(proposals, targets)

        box_features = self.box_head(self.box_roi_pool(features, proposals, image_shapes))
        class_logits, box_regression = box_predictor(box_features)

        if self.training:
            loss_classifier, loss_box_reg = fastrcnn_loss(class_logits, box_regression, labels, regression_targets)
            losses = {"loss_classifier": loss_classifier, "loss_box_reg": loss_box_reg}
            losses["loss_mask"] = self._mask_loss(features, proposals, image_shapes, targets, matched_idxs, labels, mask_predictor, tracking)
            return [], losses

        if tracking:
            limit = self.track_detections_per_img if max_detections is None else min(max_detections, self.track_detections_per_img)
            boxes, scores = self._postprocess_tracking(class_logits, box_regression, proposals, image_shapes, limit)
            labels = [torch.ones(len(s), dtype=torch.int64, device=s.device) for s in scores]
        else:
            boxes, scores, labels = self.postprocess_detections(class_logits, box_regression, proposals, image_shapes)
        result = [{"boxes": b, "labels": l, "scores": s} for b, l, s in zip(boxes, labels, scores)]
        if not with_masks:
            return result, {}
        mask_features = self.mask_head(self.mask_roi_pool(features, boxes, image_shapes))
        mask_logits = mask_predictor(mask_features)
        channel = [torch.zeros_like(l) for l in labels] if tracking else labels
        for r, probs in zip(result, maskrcnn_inference(mask_logits, channel)):
            r["masks"] = probs
        return result, {}

    def check_targets(self, targets: Optional[list[dict[str, Tensor]]]) -> None:
        """Boxes and labels are required; masks are optional (see _mask_loss)."""
        if targets is None:
            raise ValueError("targets should not be None")
        for i, t in enumerate(targets):
            missing = [key for key in ("boxes", "labels") if key not in t]
            if missing:
                raise ValueError(f"target {i} has no {' or '.join(missing)}")

    def _mask_loss(
        self,
        features: dict[str, Tensor],
        proposals: list[Tensor],
        image_shapes: list[tuple[int, int]],
        targets: list[dict[str, Tensor]],
        matched_idxs: list[Tensor],
        labels: list[Tensor],
        mask_predictor: torch.nn.Module,
        tracking: bool,
    ) -> Tensor:
        """Mask R-CNN's mask loss over the positive proposals of the images that have masks."""
        with_masks = [i for i, t in enumerate(targets) if "masks" in t]
        if not with_masks:
            # keep the mask branch in the graph (DDP needs every parameter used) at zero cost
            params = [*self.mask_head.parameters(), *mask_predictor.parameters()]
            return sum(p.sum() for p in params) * 0.0
        positives = [torch.where(labels[i] > 0)[0] for i in with_masks]
        mask_proposals = [proposals[i][pos] for i, pos in zip(with_masks, positives)]
        pos_matched_idxs = [matched_idxs[i][pos] for i, pos in zip(with_masks, positives)]
        mask_logits = mask_predictor(self.mask_head(self.mask_roi_pool(features, mask_proposals, [image_shapes[i] for i in with_masks])))
        gt_masks = [targets[i]["masks"] for i in with_masks]
        gt_labels = [
            torch.zeros_like(targets[i]["labels"]) if tracking else targets[i]["labels"] for i in with_masks
        ]
        return maskrcnn_loss(mask_logits, mask_proposals, gt_masks, gt_labels, pos_matched_idxs)

    def _postprocess_tracking(
        self,
        class_logits: Tensor,
        box_regression: Tensor,
        proposals: list[Tensor],
        image_shapes: list[tuple[int, int]],
        limit: int,
    ) -> tuple[list[Tensor], list[Tensor]]:
        """Class-agnostic candidates: object probability, decoded box, NMS, the best few per image by probability."""
        per_image = [len(p) for p in proposals]
        scores = torch.softmax(class_logits, -1)[:, 1].split(per_image)
        decoded = self.box_coder.decode(box_regression, proposals)[:, 1].split(per_image)
        out_boxes, out_scores = [], []
        for b, s, shape in zip(decoded, scores, image_shapes):
            b = box_ops.clip_boxes_to_image(b, shape)
            keep = torch.where(s > self.track_score_thresh)[0]
            b, s = b[keep], s[keep]
            keep = box_ops.remove_small_boxes(b, min_size=1e-2)
            b, s = b[keep], s[keep]
            keep = box_ops.nms(b, s, self.nms_thresh)
            keep = keep[:limit]
            out_boxes.append(b[keep])
            out_scores.append(s[keep])
        return out_boxes, out_scores


def jitter_boxes(boxes: Tensor, count: int, image_shape: tuple[int, int], max_scale: float = 2.5, max_shift: float = 0.3) -> Tensor:
    """`count` random boxes around each of boxes [N, 4] (xyxy): size scaled log-uniformly in
    [1/max_scale, max_scale], aspect changed by up to 1.5x, centre shifted by up to max_shift
    of the size; clipped to the image. [N * count, 4]."""
    if len(boxes) == 0 or count <= 0:
        return boxes.new_zeros((0, 4))
    boxes = boxes.detach().repeat_interleave(count, 0)
    wh = boxes[:, 2:] - boxes[:, :2]
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2 + (torch.rand_like(wh) * 2 - 1) * max_shift * wh
    scale = torch.exp((torch.rand_like(wh[:, :1]) * 2 - 1) * math.log(max_scale))
    aspect = torch.exp((torch.rand_like(wh[:, :1]) * 2 - 1) * math.log(1.5) / 2)
    half = wh * scale * torch.cat([aspect, 1 / aspect], 1) / 2
    out = torch.cat([centre - half, centre + half], 1)
    height, width = image_shape
    out[:, 0::2] = out[:, 0::2].clamp(0, width)
    out[:, 1::2] = out[:, 1::2].clamp(0, height)
    return out[(out[:, 2] - out[:, 0] >= 1) & (out[:, 3] - out[:, 1] >= 1)]
