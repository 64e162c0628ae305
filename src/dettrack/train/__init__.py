"""Training: recipes, the data stream, the loop (torchrun DDP), checkpoints."""

from .config import load_config
from .loop import train

__all__ = ["load_config", "train"]
