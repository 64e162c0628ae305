"""A self-contained demo clip: a textured object drifting over a textured background.

Made procedurally (no download, no data files) with exact ground-truth boxes, so the
demo can report how well the tracker did, not only that it ran.
"""

from typing import Iterator

import numpy as np


def synthetic_clip(
    num_frames: int = 60, size: tuple[int, int] = (360, 640), seed: int = 0
) -> Iterator[tuple[np.ndarray, tuple[float, float, float, float]]]:
    """Yield (H x W x 3 uint8 RGB frame, ground-truth (x, y, w, h)) pairs."""
    rng = np.random.default_rng(seed)
    height, width = size
    yy, xx = np.mgrid[0:height, 0:width]
    background = np.stack(
        [127 + 60 * np.sin(xx / (17 + 9 * c) + yy / (23 + 5 * c) + c) for c in range(3)], axis=-1
    ) + rng.normal(0, 12, (height, width, 3))
    obj_h, obj_w = height // 5, width // 7
    oy, ox = np.mgrid[0:obj_h, 0:obj_w]
    stripes = (np.sin(ox / 3.0) > 0) ^ (np.sin(oy / 5.0) > 0)
    colour = rng.integers(150, 256, 3)
    patch = np.where(stripes[..., None], colour, 255 - colour).astype(np.float64)
    for t in range(num_frames):
        phase = 2 * np.pi * t / max(num_frames, 1)
        x = (width - obj_w) * (0.5 + 0.35 * np.sin(phase))
        y = (height - obj_h) * (0.5 + 0.3 * np.sin(2 * phase))
        frame = background.copy()
        xi, yi = int(round(x)), int(round(y))
        frame[yi : yi + obj_h, xi : xi + obj_w] = patch
        yield np.clip(frame, 0, 255).astype(np.uint8), (float(xi), float(yi), float(obj_w), float(obj_h))
