"""The Mask R-CNN family's search-region mode: a square crop around the object's last position.

Much cheaper than the full frame. The crop's side is `context` times the geometric mean
of the last box's sides, in whole pixels (the crop itself is cut by crops.crop_images), and
the candidates are mapped back to frame coordinates.
"""

import math

import torch
from torch import Tensor


def crop_window(box_xywh: tuple[float, float, float, float], context: float, frame_size: tuple[int, int]) -> tuple[int, int, int]:
    """(left, top, side) in whole pixels of the square window around a box, at least 32 px and
    at most the frame's longer side x 2."""
    x, y, w, h = box_xywh
    side = math.sqrt(max(w, 1.0) * max(h, 1.0)) * context
    side = round(min(max(side, 32.0), 2.0 * max(frame_size)))
    return round(x + w / 2 - side / 2), round(y + h / 2 - side / 2), side


def to_frame(candidates: dict[str, Tensor], window: tuple[int, int, int], size: int, frame_size: tuple[int, int]) -> dict[str, Tensor]:
    """Map one crop's candidate boxes (xyxy) back into the frame; the head's box-relative
    masks need no change (they are pasted into the frame at the mapped boxes)."""
    left, top, side = window
    scale = side / size
    offset = torch.tensor([left, top, left, top], device=candidates["boxes"].device)
    height, width = frame_size
    boxes = candidates["boxes"] * scale + offset
    boxes[:, 0::2] = boxes[:, 0::2].clamp(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clamp(0, height)
    return {**candidates, "boxes": boxes}
