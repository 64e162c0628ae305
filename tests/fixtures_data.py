"""Writers of tiny datasets in their exact on-disk formats, for the reader tests."""

from pathlib import Path
from typing import Iterable, Optional

import numpy as np
from PIL import Image

PALETTE = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [0] * (256 * 3 - 12)


def write_image(path: Path, height: int = 12, width: int = 16, value: int = 100) -> Path:
    """A small solid RGB image (JPEG or PNG by suffix) whose red channel is `value`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = value
    Image.fromarray(pixels).save(path)
    return path


def write_frames(folder: Path, count: int, pattern: str = "{:04d}.jpg", start: int = 1, **size) -> list[Path]:
    """`count` frames named by `pattern` from number `start`, each with a distinct red value."""
    return [write_image(folder / pattern.format(start + i), value=10 * (i + 1) % 256, **size) for i in range(count)]


def write_mask(path: Path, labels: np.ndarray, palette: bool = False) -> Path:
    """A mask PNG: 0/255 grayscale from a bool array, or a palette PNG of integer labels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if palette:
        image = Image.fromarray(labels.astype(np.uint8))
        image.putpalette(PALETTE)  # turns the grayscale image into a palette ("P") image
    else:
        image = Image.fromarray(np.where(labels, 255, 0).astype(np.uint8))
    image.save(path)
    return path


def box_mask(
    height: int, width: int, box: tuple[int, int, int, int], value: int = 1, into: Optional[np.ndarray] = None
) -> np.ndarray:
    """Label array with `value` on the x, y, w, h rectangle `box`."""
    labels = np.zeros((height, width), dtype=np.uint8) if into is None else into
    x, y, w, h = box
    labels[y : y + h, x : x + w] = value
    return labels


def write_lines(path: Path, lines: Iterable[str]) -> Path:
    """A text file with one entry per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))
    return path
