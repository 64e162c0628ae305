"""Checking and converting what users hand the tracker: frames and boxes.

Frames: H x W x 3 uint8 RGB (numpy or torch); H x W grayscale and H x W x 4 RGBA are
converted; torch float tensors in torchvision's [3, H, W], [0, 1] layout pass as they are.
Anything else is a ValueError that says what was wrong.
"""

import math
from typing import Sequence, Union

import numpy as np
import torch
from torch import Tensor

from ..types import Frame


def frame_to_tensor(frame: Frame, device: Union[str, torch.device] = "cpu", name: str = "frame") -> Tensor:
    """A [3, H, W] float32 tensor in [0, 1] on `device` from any accepted frame."""
    if isinstance(frame, Tensor) and frame.is_floating_point():
        if frame.ndim != 3 or frame.shape[0] != 3 or min(frame.shape[1:]) == 0:
            raise ValueError(f"{name}: a float tensor must be [3, H, W] with values in [0, 1], got shape {tuple(frame.shape)}")
        return frame.to(device, torch.float32)
    if isinstance(frame, Tensor):
        array = frame
    elif isinstance(frame, np.ndarray):
        frame = np.ascontiguousarray(frame)
        array = torch.from_numpy(frame if frame.flags.writeable else frame.copy())
    else:
        raise ValueError(f"{name}: expected an H x W x 3 uint8 numpy array or torch tensor, got {type(frame).__name__}")
    if array.dtype != torch.uint8:
        raise ValueError(
            f"{name}: expected uint8 pixels, got {str(array.dtype).replace('torch.', '')} "
            "(convert 16-bit or float images to 8-bit RGB first)"
        )
    if array.ndim == 2:
        array = array.unsqueeze(-1)
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise ValueError(f"{name}: expected H x W x 3 (RGB), H x W (gray) or H x W x 4 (RGBA), got shape {tuple(array.shape)}")
    if min(array.shape[:2]) == 0:
        raise ValueError(f"{name}: empty frame of shape {tuple(array.shape)}")
    if array.shape[-1] == 1:
        array = array.expand(-1, -1, 3)
    elif array.shape[-1] == 4:
        array = array[..., :3]
    return array.to(device).permute(2, 0, 1).float().div_(255)


def check_box(box_xywh: Sequence[float], frame_size: tuple[int, int], name: str = "box") -> Tensor:
    """Validate an (x, y, w, h) box against a frame of (height, width); return it as xyxy clipped to the frame."""
    try:
        values = [float(v) for v in (box_xywh.tolist() if hasattr(box_xywh, "tolist") else box_xywh)]
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: expected four numbers (x, y, w, h), got {box_xywh!r}") from err
    if len(values) != 4:
        raise ValueError(f"{name}: expected four numbers (x, y, w, h), got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{name}: contains NaN or infinity: {values}")
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise ValueError(f"{name}: width and height must be positive, got w={w:g}, h={h:g}")
    height, width = frame_size
    x1, y1, x2, y2 = max(x, 0.0), max(y, 0.0), min(x + w, float(width)), min(y + h, float(height))
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        raise ValueError(f"{name}: ({x:g}, {y:g}, {w:g}, {h:g}) lies wholly outside the {width}x{height} frame")
    return torch.tensor([x1, y1, x2, y2], dtype=torch.float32)
