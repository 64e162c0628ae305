"""Fine-tuning: start a run from a trained model's weights and train only some of its parts.

A second stage that trains, say, only the mask branch of a model whose boxes are already
trained leaves its tracking untouched and costs a fraction of a full iteration (no
gradients flow through the backbone).
"""

import os
from typing import Sequence, Union

from torch import nn

from ..model.checkpoint import read_checkpoint
from ..model.weights import load_into


def load_initial_weights(model: nn.Module, path: Union[str, os.PathLike], exclude: Sequence[str] = ()) -> None:
    """Copy a dettrack checkpoint's weights into `model`, except those under the `exclude`
    prefixes (they keep their fresh initialisation and may differ in shape or kind, e.g. a
    mask trunk rebuilt with GroupNorm). The rest must match (the error names the keys)."""
    payload = read_checkpoint(path)
    own = model.state_dict()
    state = {k: v.to(own[k].dtype) if k in own else v for k, v in payload["state_dict"].items()}
    load_into(model, state, ignore_prefixes=tuple(exclude), what=f"this recipe's model (train.init_from {path})")


def train_only(model: nn.Module, prefixes: Sequence[str]) -> int:
    """Freeze every parameter whose name starts with none of `prefixes` (none given: change nothing).

    Parameters the model already freezes (early backbone stages) stay frozen. Returns how
    many parameter tensors will train; a prefix that names no parameter is an error.
    """
    named = dict(model.named_parameters())
    if prefixes:
        unknown = [p for p in prefixes if not any(name.startswith(p) for name in named)]
        if unknown:
            raise ValueError(f"train.trainable: no parameter starts with {', '.join(map(repr, unknown))}")
        for name, param in named.items():
            if not name.startswith(tuple(prefixes)):
                param.requires_grad_(False)
    training = sum(p.requires_grad for p in named.values())
    if training == 0:
        raise ValueError("train.trainable leaves no parameter to train")
    return training
