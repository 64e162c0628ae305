"""Training: recipes, the data stream, the loop (torchrun DDP), checkpoints.

Imported on first use: a recipe (train.config) loads and is checked without torch.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {"load_config": ".config", "train": ".loop"}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from .config import load_config
    from .loop import train
