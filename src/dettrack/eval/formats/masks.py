"""Mask results as indexed (palette) PNGs, pixel value = object id, one PNG per frame of a video.

DAVIS (davis2017-evaluation layout): <video>/<frame>.png; YouTube-VOS (submission layout):
Annotations/<video>/<frame>.png. The palette is DAVIS's (the PASCAL VOC colour map).
"""

from pathlib import Path

import numpy as np
from PIL import Image

from ...data.lazy import read_label_image
from ...io_utils import atomic_write


def mask_path(fmt: str, folder: Path, video: str, frame: Path) -> Path:
    """The PNG of `frame` (a frame file of `video`) in results format `fmt` ('davis' or 'ytvos')."""
    if fmt == "davis":
        return folder / video / f"{frame.stem}.png"
    if fmt == "ytvos":
        return folder / "Annotations" / video / f"{frame.stem}.png"
    raise ValueError(f"no mask layout for results format {fmt!r}")


def voc_palette() -> list[int]:
    """The 256-colour PASCAL VOC / DAVIS palette: the bits of the index spread over R, G and B."""
    colours = []
    for index in range(256):
        r = g = b = 0
        for shift in range(8):
            r |= ((index >> (3 * shift)) & 1) << (7 - shift)
            g |= ((index >> (3 * shift + 1)) & 1) << (7 - shift)
            b |= ((index >> (3 * shift + 2)) & 1) << (7 - shift)
        colours += [r, g, b]
    return colours


def write_label_png(path: Path, labels: np.ndarray) -> Path:
    """An H x W uint8 label image as a palette PNG, written atomically."""
    image = Image.fromarray(np.asarray(labels, dtype=np.uint8))
    image.putpalette(voc_palette())  # makes the grayscale image a palette ("P") image
    with atomic_write(path, "wb") as f:
        image.save(f, format="PNG")
    return path


def read_label_png(path: Path, shape: tuple[int, int], video: str) -> np.ndarray:
    """The labels of a result PNG, which must exist and be `shape` (H, W) like the video's frames."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: mask results for video {video!r} not found")
    try:
        labels = read_label_image(path)
    except ValueError as err:
        raise ValueError(f"{err} (video {video!r})") from None
    if labels.shape != tuple(shape):
        raise ValueError(
            f"{path}: mask is {labels.shape[1]}x{labels.shape[0]} "
            f"but the frames of video {video!r} are {shape[1]}x{shape[0]}"
        )
    return labels
