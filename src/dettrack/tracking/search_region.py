"""Search-region mode: run the network on a square crop around the object's last position.

Much cheaper than the full frame. The crop's side is `context` times the geometric mean
of the last box's sides; it is resampled to `size` x `size` with RoIAlign (parts outside
the frame read as zeros), and the candidates are mapped back to frame coordinates.
"""

import math

import torch
from torch import Tensor
from torchvision.ops import roi_align


def crop_window(box_xywh: tuple[float, float, float, float], context: float, frame_size: tuple[int, int]) -> tuple[float, float, float]:
    """(left, top, side) of the square window around a box, at least 32 px and at most the frame's longer side x 2."""
    x, y, w, h = box_xywh
    side = math.sqrt(max(w, 1.0) * max(h, 1.0)) * context
    side = min(max(side, 32.0), 2.0 * max(frame_size))
    return x + w / 2 - side / 2, y + h / 2 - side / 2, side


def crop_images(image: Tensor, windows: list[tuple[float, float, float]], size: int) -> Tensor:
    """[3, H, W] frame -> [N, 3, size, size] resampled crops of the N windows."""
    rois = torch.tensor([[0.0, left, top, left + side, top + side] for left, top, side in windows], device=image.device)
    return roi_align(image[None], rois, output_size=(size, size), spatial_scale=1.0, sampling_ratio=2, aligned=True)


def to_frame(candidates: dict[str, Tensor], window: tuple[float, float, float], size: int, frame_size: tuple[int, int]) -> dict[str, Tensor]:
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
