"""Template attention: reweight every pyramid level by its similarity to the template."""

from collections import OrderedDict

import torch
from torch import Tensor


def similarity(feature: Tensor, template: Tensor) -> Tensor:
    """S = <P(x, y), T_d> at every location: a 1x1 cross-correlation. [B, D, H, W] x [B, D] -> [B, 1, H, W]."""
    return torch.einsum("bdhw,bd->bhw", feature, template.to(feature.dtype)).unsqueeze(1)


def reweight(
    features: "OrderedDict[str, Tensor]", template: Tensor
) -> tuple["OrderedDict[str, Tensor]", "OrderedDict[str, Tensor]"]:
    """P_i <- P_i * S_i on every level (P6 / 'pool' included).

    A feature batch of 1 is shared by all B templates (one backbone pass, many objects):
    it is broadcast to B without copying the backbone work.

    Returns:
        (reweighted features, similarity maps [B, 1, H, W] per level), both keyed like `features`.
    """
    if template.ndim != 2:
        raise ValueError(f"template must have shape [B, D], got {tuple(template.shape)}")
    out: "OrderedDict[str, Tensor]" = OrderedDict()
    maps: "OrderedDict[str, Tensor]" = OrderedDict()
    for name, feature in features.items():
        if feature.shape[1] != template.shape[1]:
            raise ValueError(f"level {name!r} has {feature.shape[1]} channels but the template has {template.shape[1]}")
        if feature.shape[0] == 1 and template.shape[0] > 1:
            # one pyramid, many templates: all similarity maps in one matrix product
            s = (template.to(feature.dtype) @ feature.flatten(2)[0]).view(template.shape[0], 1, *feature.shape[-2:])
        elif feature.shape[0] != template.shape[0]:
            raise ValueError(f"{feature.shape[0]} feature maps for {template.shape[0]} templates")
        else:
            s = similarity(feature, template)
        maps[name] = s
        out[name] = feature * s
    return out, maps
