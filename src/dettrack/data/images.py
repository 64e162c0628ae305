"""Image files: decoding to H x W x 3 uint8 RGB, reading sizes, listing the frames of a folder."""

import os
import re
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image

PathLike = Union[str, os.PathLike]

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})

# Modes PIL converts to RGB without losing meaning; 16-bit and float images are refused.
_RGB_CONVERTIBLE = frozenset({"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV"})


def open_image(path: PathLike) -> Image.Image:
    """Open and fully decode an image file; a missing or undecodable file is a one-line error naming it."""
    try:
        with Image.open(path) as image:
            image.load()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: image file not found") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise ValueError(f"{path}: corrupt or unreadable image ({err})") from None
    return image


def load_image(path: PathLike) -> np.ndarray:
    """The image at `path` as an H x W x 3 uint8 RGB array (grayscale, palette and RGBA are converted)."""
    image = open_image(path)
    if image.mode not in _RGB_CONVERTIBLE:
        raise ValueError(f"{path}: unsupported image mode {image.mode!r} (16-bit or float); expected 8-bit RGB or grayscale")
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.uint8)


def image_size(path: PathLike) -> tuple[int, int]:
    """(height, width) of an image, from its header only."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: image file not found") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ValueError(f"{path}: corrupt or unreadable image ({err})") from None
    return height, width


def natural_key(name: str) -> list:
    """Sort key that orders embedded numbers by value ('img2' before 'img10')."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def list_images(folder: PathLike) -> list[Path]:
    """The image files directly inside `folder`, in natural name order (other files are ignored)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: frame folder not found")
    paths = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()]
    return sorted(paths, key=lambda p: natural_key(p.name))


def frame_number(path: Path) -> int:
    """The frame number in a file name such as 0001.jpg or img_0001.jpg (the last digit run)."""
    digits = re.findall(r"\d+", path.stem)
    if not digits:
        raise ValueError(f"{path}: no frame number in the file name")
    return int(digits[-1])
