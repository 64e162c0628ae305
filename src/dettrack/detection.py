"""Detection mode as a library call: the network's COCO-style instances (boxes, classes,
scores, masks) in one image or many. `dettrack detect` is built on it."""

from typing import Iterable, Optional, Union

import numpy as np
import torch
from torch import Tensor
from torchvision.models.detection import MaskRCNN_ResNet50_FPN_Weights

from .boxes import xyxy_to_xywh
from .model.interface import TrackingModel, eval_mode
from .tracking.inputs import frame_to_tensor
from .types import DETECTION_SCORE, Detections, Frame

COCO_NAMES: list[str] = MaskRCNN_ResNet50_FPN_Weights.COCO_V1.meta["categories"]


def class_ids(names: Iterable[Union[str, int]], model: TrackingModel) -> set[int]:
    """Class ids from COCO names or numbers ('person', '3') that the model can output."""
    count = model.detection_classes
    ids = set()
    for name in names:
        if str(name).isdigit() and 0 < int(name) < count:
            ids.add(int(name))
        elif name in COCO_NAMES and COCO_NAMES.index(name) < count:
            ids.add(COCO_NAMES.index(name))
        else:
            known = ", ".join(n for n in COCO_NAMES[1:count] if n != "N/A")
            raise ValueError(f"unknown class {name!r}: give COCO names or ids 1..{count - 1}; the known names: {known}")
    return ids


def detect(
    model: TrackingModel,
    images: Union[Frame, Iterable[Frame]],
    score: float = DETECTION_SCORE,
    classes: Optional[Iterable[Union[str, int]]] = None,
    mask_threshold: float = 0.5,
    masks: bool = True,
) -> Union[Detections, list[Detections]]:
    """Detections with a score of at least `score` (and of the given classes, COCO names or ids)
    in one image (returns one Detections) or in a sequence of images (returns a list).
    masks=False: boxes only (Detections.masks is None; faster where the model can skip them).

    Images are H x W x 3 uint8 RGB arrays or tensors (see dettrack.types.Frame); they may
    differ in size. The model's train/eval mode is restored afterwards.
    """
    single = isinstance(images, (np.ndarray, Tensor))
    wanted = class_ids(classes, model) if classes else set()
    with eval_mode(model):
        found = [_detect_one(model, image, f"image {i}", score, wanted, mask_threshold, masks) for i, image in enumerate([images] if single else images)]
    return found[0] if single else found


@torch.inference_mode()
def _detect_one(model: TrackingModel, image: Frame, name: str, score: float, wanted: set[int], mask_threshold: float, with_masks: bool) -> Detections:
    tensor = frame_to_tensor(image, next(model.parameters()).device, name=name)
    boxes, labels, scores, masks = _network(model, tensor, score, with_masks)
    keep = scores >= score
    if wanted:
        keep &= torch.isin(labels, torch.tensor(sorted(wanted), device=labels.device))
    label_ids = labels[keep].cpu().numpy()
    return Detections(
        boxes=xyxy_to_xywh(boxes[keep]).cpu().numpy(),
        labels=label_ids,
        names=[COCO_NAMES[i] if 0 <= i < len(COCO_NAMES) else str(i) for i in label_ids.tolist()],
        scores=scores[keep].cpu().numpy(),
        masks=None if masks is None else (masks[keep] > mask_threshold).cpu().numpy(),
    )


def _network(model: TrackingModel, image: Tensor, score: float, masks: bool) -> tuple[Tensor, Tensor, Tensor, Optional[Tensor]]:
    """The model-specific part: one [3, H, W] image in, its detections out as xyxy boxes [N, 4],
    labels [N], scores [N] (best first) and mask probabilities [N, H, W] at the image's size (None
    without masks). A model with its own detect() (the light family) computes masks only for the
    detections that reach `score`, and none when not asked for."""
    if hasattr(model, "detect"):
        out = model.detect(image, score_threshold=score, masks=masks)
    else:
        out = model([image])[0]
    return out["boxes"], out["labels"], out["scores"], out["masks"][:, 0] if masks else None
