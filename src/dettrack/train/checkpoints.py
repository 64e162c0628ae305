"""Training checkpoints: model checkpoint files whose `extra` holds the training state.

Each is a regular dettrack checkpoint (load_checkpoint reads it as a model) written
atomically; the last `keep_last` are kept.
"""

import re
from pathlib import Path
from typing import Any, Optional

import torch

from ..model import read_checkpoint, save_checkpoint
from ..model.interface import TrackingModel

_NAME = re.compile(r"^iter_(\d{8})\.pt$")


def checkpoint_path(folder: Path, iteration: int) -> Path:
    return folder / f"iter_{iteration:08d}.pt"


def list_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints in `folder`, oldest first (temporary files never match)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.match(p.name))


def save_training_state(
    folder: Path, model: TrackingModel, iteration: int, state: dict[str, Any], keep_last: int
) -> Path:
    path = checkpoint_path(folder, iteration)
    save_checkpoint(model, path, extra={"iteration": iteration, **state})
    for old in list_checkpoints(folder)[:-keep_last] if keep_last > 0 else []:
        old.unlink(missing_ok=True)
    return path


def latest_training_state(folder: Path) -> Optional[dict[str, Any]]:
    """The newest checkpoint's payload (state_dict, config, extra), or None when there is none."""
    found = list_checkpoints(folder)
    if not found:
        return None
    payload = read_checkpoint(found[-1])
    if "iteration" not in payload.get("extra", {}):
        raise ValueError(f"{found[-1]} holds no training state (iteration, optimizer); it is a model-only checkpoint")
    payload["path"] = str(found[-1])
    return payload


def rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
