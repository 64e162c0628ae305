"""The answer on an object's own first frame: the box it was given, and the network's mask in it.

A tracker answers from the frame after the template on; a user still wants a row for the first
frame (the box given, a mask to paint). The mask is the model's segment(): its tracking mask head
on the given box, without the template's reweighting; the filled box where the head finds nothing.
"""

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from ..types import TrackResult


def first_answers(
    model: torch.nn.Module, image: Tensor, boxes: Mapping[Hashable, Sequence[float]], masks: bool = True, threshold: float = 0.5
) -> dict[Hashable, TrackResult]:
    """Each object's answer on the frame `image` ([3, H, W] on the model's device) where its
    (x, y, w, h) box is given: that box, score 1, present, and its mask when `masks`."""
    if not boxes:
        return {}
    given = [tuple(float(v) for v in box) for box in boxes.values()]
    found = given_box_masks(model, image, given, threshold) if masks else [None] * len(given)
    return {obj_id: TrackResult(box, 1.0, True, mask) for obj_id, box, mask in zip(boxes, given, found)}


def given_box_masks(model: torch.nn.Module, image: Tensor, boxes_xywh: list[tuple[float, ...]], threshold: float = 0.5) -> np.ndarray:
    """[N, H, W] bool: the model's segmentation of each (x, y, w, h) box on image [3, H, W]; the
    filled box where the head finds nothing above `threshold`."""
    with torch.inference_mode():
        boxes = torch.tensor(boxes_xywh, dtype=torch.float32, device=image.device)
        boxes[:, 2:] += boxes[:, :2]
        masks = (model.segment(image, boxes) > threshold).cpu().numpy()  # type: ignore[operator]
    for mask, box in zip(masks, boxes_xywh):
        if not mask.any():
            x, y, w, h = (round(v) for v in box)
            mask[max(y, 0) : y + h, max(x, 0) : x + w] = True
    return masks
