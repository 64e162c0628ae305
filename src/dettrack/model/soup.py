"""Uniform model soups: the weights of several runs of one recipe, averaged.

Runs fine-tuned from the same pretrained weights with different seeds end in one basin of the
loss, and their average is often better than each (Wortsman et al. 2022, "Model soups"). Only
models of the same architecture mix: the same family and config, the same tensors. A part that
each run initialised at random by its own seed (the light family's mask head) shares no start:
its runs' weights are unrelated (cosine similarity near 0) and their mean is no model, so such a
part is kept from the first run, with a warning.
"""

import warnings
from typing import Any, Sequence

import torch

# least cosine similarity of a part's weights across runs for them to count as one start
SHARED_START = 0.5


def average_weights(model: Any, others: Sequence[Any], names: Sequence[str]) -> Any:
    """Replace `model`'s weights by the mean of its own and `others`' (in place; returns it).

    Floating-point tensors (weights, norms' running statistics) are averaged, part by part (the
    model's top-level modules); a part whose runs do not share a start, and integer buffers (batch
    counters), are kept from `model`. names: how to call each of `others` in messages.
    """
    if len(names) != len(others):
        raise ValueError(f"{len(others)} models to average, but {len(names)} names")
    state = model.state_dict()
    sums = {k: v.detach().double().clone() for k, v in state.items() if v.is_floating_point()}
    for other, name in zip(others, names):
        if dict(other.config) != dict(model.config):
            differ = sorted(k for k in set(model.config) | set(other.config) if model.config.get(k) != other.config.get(k))
            raise ValueError(f"cannot average {name}: it is another architecture (its config differs in {', '.join(differ)})")
        theirs = other.state_dict()
        if theirs.keys() != state.keys() or any(theirs[k].shape != state[k].shape for k in state):
            raise ValueError(f"cannot average {name}: its tensors differ from the first model's")
        for k in sums:
            sums[k] += theirs[k].detach().double()
        for part, cosine in _unrelated_parts(state, theirs).items():
            warnings.warn(f"{name}: its {part} shares no start with the first model's (cosine similarity {cosine:.2f}); {part} is kept from the first")
            for k in [k for k in sums if k.split(".")[0] == part]:
                del sums[k]
    count = len(others) + 1
    with torch.no_grad():
        model.load_state_dict({k: (sums[k] / count).to(v.dtype) if k in sums else v for k, v in state.items()})
    return model


def _unrelated_parts(mine: dict[str, torch.Tensor], theirs: dict[str, torch.Tensor]) -> dict[str, float]:
    """The top-level parts whose weights (all their floating-point tensors of two or more
    dimensions, together) point in unrelated directions in two runs: {part: cosine similarity}."""
    parts: dict[str, list[str]] = {}
    for k, v in mine.items():
        if v.is_floating_point() and v.dim() > 1:
            parts.setdefault(k.split(".")[0], []).append(k)
    out = {}
    for part, keys in parts.items():
        a = torch.cat([mine[k].detach().double().flatten() for k in keys])
        b = torch.cat([theirs[k].detach().double().flatten() for k in keys])
        cosine = float(torch.nn.functional.cosine_similarity(a, b, 0))
        if cosine < SHARED_START:
            out[part] = cosine
    return out
