"""Square windows of a frame: where a crop goes around a box, and the crops themselves.

Shared by the tracking sessions and the light family's network (which cuts its own crops in
training and in `encode`), so it sits below both.
"""

import math

import torch.nn.functional as F
from torch import Tensor


def search_window(box: tuple[float, float, float, float], context: float, frame_size: tuple[int, int]) -> tuple[int, int, int]:
    """(left, top, side) of the square crop around a box: side = context x sqrt((w + p)(h + p)), p = (w + h) / 2,
    at least 16 px and at most twice the frame's longer side (the light family's crop, SiamFC's context widened)."""
    x, y, w, h = box
    pad = (w + h) / 2
    side = context * math.sqrt((w + pad) * (h + pad))
    side = round(min(max(side, 16.0), 2.0 * max(frame_size)))
    return round(x + w / 2 - side / 2), round(y + h / 2 - side / 2), side


def letterbox(frame_size: tuple[int, int]) -> tuple[int, int, int]:
    """The square window that letterboxes a frame (its longer side), centred: NanoDet's resize."""
    height, width = frame_size
    side = max(height, width)
    return (int((width - side) // 2), int((height - side) // 2), int(side))


def crop_images(image: Tensor, windows: list[tuple[int, int, int]], size: int) -> Tensor:
    """[3, H, W] frame -> [N, 3, size, size] crops of the N windows, resized (antialiased when shrunk).

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
        crop[:, cy0:cy1, cx0:cx1] = resize(region, (cy1 - cy0, cx1 - cx0))[0]
    return crops


def resize(images: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear resize of [N, C, H, W] images, antialiased when any side shrinks. Enlarging
    gives the same pixels either way (to 1e-5), and the plain kernel is about 2.5x faster."""
    shrinks = size[0] < images.shape[-2] or size[1] < images.shape[-1]
    return F.interpolate(images, size=size, mode="bilinear", antialias=shrinks, align_corners=False)
