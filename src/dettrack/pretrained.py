"""The model shipped inside the package: no download, found next to this file."""

from importlib import resources
from pathlib import Path
from typing import Union

import torch

from .model import load_checkpoint
from .model.light import LightDetTrack

SHIPPED = "dettrack_light.pt"


def pretrained_path() -> Path:
    return Path(str(resources.files("dettrack") / "pretrained" / SHIPPED))


def has_pretrained() -> bool:
    return pretrained_path().is_file()


def load_pretrained(device: Union[str, torch.device] = "cpu") -> LightDetTrack:
    """The shipped model: NanoDet-m (COCO) made a tracker by the ridge template and fine-tuned
    jointly (configs/light.yaml), in eval mode."""
    path = pretrained_path()
    if not path.is_file():
        raise FileNotFoundError(f"no shipped model at {path}; train one with `dettrack train --config configs/light.yaml`")
    return load_checkpoint(path, map_location=device, family="light")
