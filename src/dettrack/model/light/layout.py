"""The light family's template: named parts packed in one tensor row per object.

The tracking session stores, stacks and selects templates as [B, T] tensors without looking
inside; the model reads and writes them only through this layout, so a part is added in one place.
Parts, in order: T_d (the paper's ridge template, C values), the spatial filter (C x 5 x 5 weights
and its peak on the template crop), the class profile (80 class weights) and the identity
verifier (C x 4 x 4 weights); the optional ones are present when the model uses them.
"""

from collections import OrderedDict

import torch
from torch import Tensor


class TemplateLayout:
    """Where each named part lies in a packed template [B, T]."""

    def __init__(self, sizes: "OrderedDict[str, int]") -> None:
        self.sizes = OrderedDict((name, int(size)) for name, size in sizes.items() if size)
        self.width = sum(self.sizes.values())
        starts, start = {}, 0
        for name, size in self.sizes.items():
            starts[name] = start
            start += size
        self._starts = starts

    def __contains__(self, name: str) -> bool:
        return name in self.sizes

    def part(self, templates: Tensor, name: str) -> Tensor:
        """The part `name` of templates [B, T]: [B, size]."""
        start = self._starts[name]
        return templates[:, start : start + self.sizes[name]]

    def pack(self, parts: dict[str, Tensor]) -> Tensor:
        """Templates [B, T] from every part of the layout ([B, size] each)."""
        missing = [name for name in self.sizes if name not in parts]
        if missing:
            raise ValueError(f"template parts missing: {', '.join(missing)}")
        return torch.cat([parts[name] for name in self.sizes], 1)

    def replaced(self, templates: Tensor, name: str, value: Tensor) -> Tensor:
        """A copy of templates [B, T] whose part `name` is value [B, size]."""
        out = templates.clone()
        start = self._starts[name]
        out[:, start : start + self.sizes[name]] = value.to(out.dtype)
        return out

    def check(self, templates: Tensor) -> None:
        if templates.ndim != 2 or templates.shape[1] != self.width:
            parts = ", ".join(f"{name} {size}" for name, size in self.sizes.items())
            raise ValueError(f"templates must be [B, {self.width}] ({parts}), got {tuple(templates.shape)}")
