"""Search-region mode: run the network on a square crop around the object's last position.

Much cheaper than the full frame. The crop's side is `context` times the geometric mean
of the last box's sides, in whole pixels; the part of it inside the frame is resized to its
place in a `size` x `size` canvas (antialiased bilinear; parts outside the frame stay zero),
and the candidates are mapped back to frame coordinates.
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def crop_window(box_xywh: tuple[float, float, float, float], context: float, frame_size: tuple[int, int]) -> tuple[int, int, int]:
    """(left, top, side) in whole pixels of the square window around a box, at least 32 px and
    at most the frame's longer side x 2."""
    x, y, w, h = box_xywh
    side = math.sqrt(max(w, 1.0) * max(h, 1.0)) * context
    side = round(min(max(side, 32.0), 2.0 * max(frame_size)))
    return round(x + w / 2 - side / 2), round(y + h / 2 - side / 2), side


def search_window(box: tuple[float, float, float, float], context: float, frame_size: tuple[int, int]) -> tuple[int, int, int]:
    """(left, top, side) of the square crop around a box: side = context x sqrt((w + p)(h + p)), p = (w + h) / 2,
    at least 16 px and at most twice the frame's longer side (the light family's crop, SiamFC's context widened)."""
    x, y, w, h = box
    pad = (w + h) / 2
    side = context * math.sqrt((w + pad) * (h + pad))
    side = round(min(max(side, 16.0), 2.0 * max(frame_size)))
    return round(x + w / 2 - side / 2), round(y + h / 2 - side / 2), side


def crop_images(image: Tensor, windows: list[tuple[int, int, int]], size: int) -> Tensor:
    """[3, H, W] frame -> [N, 3, size, size] crops of the N windows, resized with antialiasing.

    Only the part of each window inside the frame is resized (a slice, not a full-frame
    resampling: about 1 ms for a 480p frame instead of RoIAlign's 8)."""
    height, width = image.shape[-2:]
    crops = image.new_zeros(len(windows), image.shape[0], size, size)
    for crop, (left, top, side) in zip(crops, windows):
        x0, y0, x1, y1 = max(left, 0), max(top, 0), min(left + side, width), min(top + side, height)
        if x1 <= x0 or y1 <= y0:
            continue
        scale = size / side
        cx0, cy0 = round((x0 - left) * scale), round((y0 - top) * scale)
        cx1, cy1 = max(round((x1 - left) * scale), cx0 + 1), max(round((y1 - top) * scale), cy0 + 1)
        region = image[None, :, y0:y1, x0:x1]
        crop[:, cy0:cy1, cx0:cx1] = F.interpolate(region, size=(cy1 - cy0, cx1 - cx0), mode="bilinear", antialias=True, align_corners=False)[0]
    return crops


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
