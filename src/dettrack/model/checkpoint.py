"""One-file checkpoints: the state dict, the config that built the model, a format version.

Readable with torch.load(weights_only=True); written atomically.
"""

import os
from pathlib import Path
from typing import Any, Mapping, Optional, Union

import torch

from ..io_utils import atomic_write
from .families import family_of
from .weights import load_into

FORMAT_VERSION = 1


def save_checkpoint(
    model: Any,
    path: Union[str, os.PathLike],
    extra: Optional[dict[str, Any]] = None,
    half: bool = False,
    graphs: Optional[Mapping[str, bytes]] = None,
) -> None:
    """Write model weights + config (+ any `extra` plain data) to `path` atomically.

    The model's `tracking_defaults` (the settings its trainer recommends for the tracking
    session, tracking.TrackingSettings) are stored too, so a loaded model tracks as it was meant to.

    half=True stores floating-point tensors as fp16 (half the size; restored to fp32 on load).
    graphs: onnxruntime graphs of these very weights by their cache names (the light family's
    runtime_graphs()), stored as bytes; loading the file puts them in the cache.
    """
    if not model.config:
        raise ValueError("model has no config; build it with dettrack.build_model so it can be rebuilt")
    state = {k: (v.half() if half and v.is_floating_point() else v).cpu() for k, v in model.state_dict().items()}
    payload = {"format_version": FORMAT_VERSION, "config": dict(model.config), "state_dict": state, "extra": extra or {}}
    if model.tracking_defaults:
        payload["tracking"] = dict(model.tracking_defaults)
    if graphs:
        payload["graphs"] = {name: torch.frombuffer(bytearray(graph), dtype=torch.uint8) for name, graph in graphs.items()}
    with atomic_write(path, "wb") as f:
        torch.save(payload, f)


def read_checkpoint(path: Union[str, os.PathLike]) -> dict[str, Any]:
    """Load and validate a checkpoint file without building the model."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"{path} is not a readable dettrack checkpoint: {err}") from err
    if not isinstance(payload, dict) or "state_dict" not in payload or "config" not in payload:
        raise ValueError(f"{path} is not a dettrack checkpoint (no state_dict/config)")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(f"{path} has checkpoint format {version}; this dettrack reads format {FORMAT_VERSION}")
    return payload


def load_checkpoint(
    path: Union[str, os.PathLike], map_location: Union[str, torch.device] = "cpu", family: Optional[str] = None
) -> Any:
    """Rebuild the model from a checkpoint's config and load its weights (eval mode).

    family: a family's name (model.families) when the caller needs that one (a checkpoint of
    another family is then a clear error); None takes whichever the file holds.
    """
    payload = read_checkpoint(path)
    try:
        found = family_of(payload["config"])
    except ValueError as err:
        raise ValueError(f"{path} holds a model this dettrack cannot build: {err}") from None
    if family is not None and found.name != family:
        raise ValueError(f"{path} holds a {found.name} model, but a {family} model was expected")
    try:
        model = found.build_from_checkpoint(payload["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path} holds a config that cannot build a model: {err}") from err
    own = model.state_dict()
    state = {k: v.to(own[k].dtype) if k in own else v for k, v in payload["state_dict"].items()}
    load_into(model, state, ignore_prefixes=(), what=f"the architecture in its own config ({path})")
    if "tracking" in payload:  # else the family's own (an older file may hold MultiTracker's: TrackingSettings reads them)
        model.tracking_defaults = dict(payload["tracking"])
    if payload.get("graphs"):
        from .light.runtime import seed_cache

        seed_cache({name: graph.numpy().tobytes() for name, graph in payload["graphs"].items()})
    return model.to(map_location).eval()
