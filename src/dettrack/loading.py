"""Loading a model by name: the shipped one, a checkpoint file, or an untrained backbone.

The one rule the CLI, the benchmark runner and the Python API share for `--model`.
"""

import warnings
from pathlib import Path
from typing import Union

import torch

from .model import BACKBONES, build_model, load_checkpoint
from .model.interface import TrackingModel
from .pretrained import has_pretrained, load_pretrained

# Input size and proposal budget of the light CPU setting used for untrained backbones.
LIGHT_OPTIONS = dict(min_size=360, max_size=640, rpn_pre_nms_top_n_test=500, rpn_post_nms_top_n_test=100)


def load_model(spec: Union[str, Path] = "pretrained", device: Union[str, torch.device] = "cpu") -> TrackingModel:
    """A model in eval mode on `device` from 'pretrained' (the shipped model), a checkpoint path,
    or a backbone name (random weights: they show the pipeline works, not how well it tracks)."""
    spec = str(spec)
    if spec == "pretrained":
        if has_pretrained():
            return load_pretrained(device).eval()
        warnings.warn("this install ships no trained model; using an untrained mobilenet_v2_fpn", stacklevel=2)
        spec = "mobilenet_v2_fpn"
    if spec in BACKBONES:
        warnings.warn(f"{spec} with untrained weights: results show the pipeline works, not how well it tracks", stacklevel=2)
        torch.manual_seed(0)
        model = build_model(spec, **LIGHT_OPTIONS)
    else:
        model = load_checkpoint(spec)
    return model.to(device).eval()


def resolve_device(device: str) -> str:
    """'auto' -> 'cuda' where CUDA is available, else 'cpu'; 'cuda' without CUDA is a ValueError."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {device}: CUDA is not available on this machine")
    return device
