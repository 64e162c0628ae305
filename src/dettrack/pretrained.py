"""The model shipped inside the package: no download, found next to this file."""

from importlib import resources
from pathlib import Path
from typing import Union

import torch

from .model import DetTrack, load_checkpoint

SHIPPED = "dettrack_mobilenet_v2_cpu.pt"


def pretrained_path() -> Path:
    return Path(str(resources.files("dettrack") / "pretrained" / SHIPPED))


def has_pretrained() -> bool:
    return pretrained_path().is_file()


def load_pretrained(device: Union[str, torch.device] = "cpu") -> DetTrack:
    """The shipped MobileNetV2-FPN model (trained with configs/demo.yaml), in eval mode."""
    path = pretrained_path()
    if not path.is_file():
        raise FileNotFoundError(f"no shipped model at {path}; train one with `dettrack train --config configs/demo.yaml`")
    return load_checkpoint(path, map_location=device)
