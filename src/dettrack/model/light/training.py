"""The light family's training batches: what LightDetTrack's forward computes in training mode.

Tracking batches are the paper's joint training on pairs (a template from one frame, the object
found in another, the crops cut as the tracker cuts them); detection batches keep the COCO
detector by distillation from the original and teach the mask head COCO's instances. The loss
terms themselves are losses.py's.
"""

import math
from collections import OrderedDict
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ...boxes import xyxy_to_xywh
from ...crops import crop_images, letterbox, search_window
from ..attention import reweight
from ..interface import Window, window_to_input
from .losses import distillation_losses, mask_loss, tracking_losses
from .spatial import FILTER_STRIDE, filter_loss

if TYPE_CHECKING:
    from .model import LightDetTrack

MASK_INSTANCES = 8  # instances per detection image that train the mask head


def tracking_batch_losses(
    model: "LightDetTrack", searches: list[Tensor], targets: list[dict[str, Tensor]], template_images: list[Tensor], template_boxes: Tensor
) -> dict[str, Tensor]:
    """The losses of a batch of pairs: the template from template_images / template_boxes (xyxy,
    frame pixels), the object (targets[i]["boxes"], empty when absent, and its masks) in searches.

    The search crop is cut around the object's box shifted and rescaled at random, as the
    tracker's crop around a slightly wrong last box; an absent object gets a random crop."""
    size = model.input_size
    settings = model.tracking_settings
    context = settings.context
    # the template crop is cut as the tracker cuts it: template_context wide, at the search crop's scale
    wide = settings.template_context or context
    t_size = max(32, round(size * wide / context / 32) * 32)
    t_windows = [search_window(_xywh(b), wide, tuple(img.shape[-2:])) for img, b in zip(template_images, template_boxes)]
    t_boxes = torch.stack([window_to_input(b, w, t_size) for b, w in zip(template_boxes, t_windows)])
    features = model.detector.pyramid(_inputs(template_images, t_windows, t_size))
    templates = model.template_builder(features, t_boxes, [(t_size, t_size)] * len(t_boxes), (t_size, t_size))
    s_windows = [search_crop(t["boxes"], context, tuple(img.shape[-2:])) for img, t in zip(searches, targets)]
    s_features = model.detector.pyramid(_inputs(searches, s_windows, size))
    reweighted, _ = reweight(s_features, templates)
    logits, boxes, regs, _ = model.dense(reweighted)
    in_boxes = [_visible(window_to_input(t["boxes"][0], w, size), size) if len(t["boxes"]) else t["boxes"].new_zeros(0) for t, w in zip(targets, s_windows)]
    sizes = [tuple(f.shape[-2:]) for f in s_features.values()]
    losses = tracking_losses(logits, boxes, regs, in_boxes, sizes)
    if model.spatial_filter:
        key = str(FILTER_STRIDE)
        losses["loss_track_filter"] = filter_loss(features[key], t_boxes, s_features[key], in_boxes)
    with_masks = [i for i, (t, b) in enumerate(zip(targets, in_boxes)) if "masks" in t and b.numel()]
    if with_masks:
        masks = torch.cat([crop_images(targets[i]["masks"][:1].float(), [s_windows[i]], size)[0] for i in with_masks])
        losses["loss_mask"] = _mask_loss(model, s_features, [in_boxes[i][None] for i in with_masks], with_masks, masks)
    return losses


def detection_batch_losses(model: "LightDetTrack", images: list[Tensor], targets: list[dict[str, Tensor]]) -> dict[str, Tensor]:
    """Keep the COCO detector (distillation from the original, model.teacher) and teach the mask head COCO's instances."""
    teacher = model.teacher
    if teacher is None:
        raise RuntimeError("detection batches need the original detector: call set_teacher() before training")
    windows = [letterbox(tuple(img.shape[-2:])) for img in images]
    inputs = _inputs(images, windows, model.input_size)
    features = model.detector.pyramid(inputs)
    student = [(cls, reg) for _, cls, reg in model.detector.head(list(features.values()))]
    teacher = teacher.to(inputs.device)
    with torch.no_grad():
        reference = [(cls, reg) for _, cls, reg in teacher(inputs)]
    losses = distillation_losses(student, reference)
    boxes, owners, masks = [], [], []
    for i, (t, w) in enumerate(zip(targets, windows)):
        if "masks" not in t or len(t["boxes"]) == 0:
            continue
        keep = torch.randperm(len(t["boxes"]))[:MASK_INSTANCES].to(t["boxes"].device)
        boxes.append(window_to_input(t["boxes"][keep], w, model.input_size))
        owners.append(i)
        masks.append(crop_images(t["masks"][keep].float(), [w], model.input_size)[0])
    if boxes:
        losses["loss_mask"] = _mask_loss(model, features, boxes, owners, torch.cat(masks))
    return losses


def search_crop(boxes: Tensor, context: float, frame_size: tuple[int, int]) -> Window:
    """A training search window: around the object's box shifted by up to 0.15 of the crop and
    rescaled by up to 25% (the tracker's last box is never exact); anywhere when it is absent."""
    height, width = frame_size
    draw = torch.rand(3).tolist()
    if len(boxes) == 0:
        side = max(16, round(min(height, width) * (0.3 + 0.7 * draw[0])))
        return (round(draw[1] * max(width - side, 0)), round(draw[2] * max(height - side, 0)), side)
    left, top, side = search_window(_xywh(boxes[0]), context, frame_size)
    side = max(16, round(side * math.exp((draw[0] - 0.5) * 0.5)))
    centre_x = left + side / 2 + (draw[1] - 0.5) * 0.3 * side
    centre_y = top + side / 2 + (draw[2] - 0.5) * 0.3 * side
    return (round(centre_x - side / 2), round(centre_y - side / 2), side)


def _xywh(box: Tensor) -> tuple[float, float, float, float]:
    return tuple(xyxy_to_xywh(box).tolist())  # type: ignore[return-value]


def _inputs(images: list[Tensor], windows: list[Window], size: int) -> Tensor:
    return torch.cat([crop_images(image, [window], size) for image, window in zip(images, windows)])


def _visible(box: Tensor, size: int) -> Tensor:
    """The box clipped to the input; empty when less than 2 px of it is inside (the object is out of the crop)."""
    clipped = box.clamp(0, size)
    if (clipped[2:] - clipped[:2]).min() < 2:
        return box.new_zeros(0)
    return clipped


def _mask_loss(model: "LightDetTrack", features: "OrderedDict[str, Tensor]", boxes: list[Tensor], owners: list[int], masks: Tensor) -> Tensor:
    """Mask loss of boxes[k] (input pixels) on input owners[k] of the batch, against masks [K, S, S]."""
    chosen = OrderedDict((k, f[owners]) for k, f in features.items())
    pooled = model.mask_pool(chosen, boxes, [(model.input_size, model.input_size)] * len(owners))
    return mask_loss(model.mask_net(pooled), torch.cat(boxes), masks)
