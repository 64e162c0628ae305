"""Fill a NanoDet module from the published NanoDet-m ONNX file (batch norms folded into its convolutions).

The file's convolutions are matched, in graph order, to this module's convolutions in the order
its forward pass runs them; every shape, stride and group count must agree, so a file of another
architecture fails with a message naming it. Where the module has a batch norm after a
convolution, the file's folded bias goes into the norm (weight 1, mean 0, variance 1 - eps): the
outputs are the file's, and the norms stay trainable.
"""

import os
from pathlib import Path
from typing import Union

import numpy as np
import torch
from torch import Tensor, nn

from .nanodet import INPUT_SIZE, NanoDet


class ConversionError(ValueError):
    """The file is not the NanoDet-m ONNX model this converter reads."""


def read_onnx_convs(path: Union[str, os.PathLike]) -> list[dict]:
    """The file's Conv nodes in graph order: weight, bias, stride, groups and padding as numpy/ints."""
    import onnx
    from onnx import numpy_helper

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ONNX file not found: {path}")
    try:
        model = onnx.load(str(path))
    except Exception as err:  # onnx raises DecodeError or its own errors for non-ONNX bytes
        raise ConversionError(f"{path} is not a readable ONNX file ({type(err).__name__}: {err})") from None
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    convs = []
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.input[1] not in weights:
            raise ConversionError(f"{path}: convolution {node.name or node.output[0]} has no stored weight")
        convs.append(
            {
                "name": node.output[0],
                "weight": weights[node.input[1]],
                "bias": weights[node.input[2]] if len(node.input) > 2 else None,
                "stride": tuple(attrs.get("strides", (1, 1))),
                "groups": int(attrs.get("group", 1)),
                "pads": tuple(attrs.get("pads", (0, 0, 0, 0))),
            }
        )
    if not convs:
        raise ConversionError(f"{path}: no convolutions in the graph; expected NanoDet-m")
    return convs


def execution_order(module: nn.Module, input_size: int = INPUT_SIZE) -> list[nn.Conv2d]:
    """The module's convolutions in the order a forward pass calls them."""
    order: list[nn.Conv2d] = []
    hooks = [m.register_forward_hook(lambda m, i, o: order.append(m)) for m in module.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad():
            module.eval()(torch.zeros(1, 3, input_size, input_size))
    finally:
        for h in hooks:
            h.remove()
    return order


def following_norms(module: nn.Module) -> dict[nn.Conv2d, nn.BatchNorm2d]:
    """Each convolution that is directly followed by a batch norm in a Sequential, with that norm."""
    pairs = {}
    for seq in module.modules():
        if isinstance(seq, nn.Sequential):
            children = list(seq.children())
            for a, b in zip(children, children[1:]):
                if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                    pairs[a] = b
    return pairs


def load_nanodet_onnx(path: Union[str, os.PathLike], model: Union[NanoDet, None] = None) -> NanoDet:
    """A NanoDet with the weights of the NanoDet-m ONNX file at `path` (RGB input; see nanodet.py)."""
    model = model or NanoDet()
    convs = read_onnx_convs(path)
    ours = execution_order(model)
    if len(convs) != len(ours):
        raise ConversionError(
            f"{path} has {len(convs)} convolutions but NanoDet-m has {len(ours)}: not the NanoDet-m "
            f"(ShuffleNetV2 1.0x, PAN 96, GFL head) file this converter reads"
        )
    norms = following_norms(model)
    for index, (src, conv) in enumerate(zip(convs, ours)):
        expected = (tuple(conv.weight.shape), tuple(conv.stride), conv.groups)
        found = (tuple(src["weight"].shape), src["stride"], src["groups"])
        if expected != found:
            raise ConversionError(
                f"{path}: convolution {index} ({src['name']}) has weight {found[0]}, stride {found[1]}, "
                f"groups {found[2]}; NanoDet-m expects {expected[0]}, stride {expected[1]}, groups {expected[2]}"
            )
        weight = torch.from_numpy(np.array(src["weight"], dtype=np.float32))
        if index == 0:
            weight = weight.flip(1)  # the file takes BGR; this module takes RGB
        bias = torch.zeros(weight.shape[0]) if src["bias"] is None else torch.from_numpy(np.array(src["bias"], dtype=np.float32))
        _assign(conv, norms.get(conv), weight, bias)
    return model.eval()


def _assign(conv: nn.Conv2d, norm: Union[nn.BatchNorm2d, None], weight: Tensor, bias: Tensor) -> None:
    with torch.no_grad():
        conv.weight.copy_(weight)
        if norm is None:
            if conv.bias is None:
                raise ConversionError(f"a convolution of shape {tuple(weight.shape)} has neither a bias nor a norm to take one")
            conv.bias.copy_(bias)
            return
        norm.weight.fill_(1.0)
        norm.bias.copy_(bias)
        norm.running_mean.zero_()
        norm.running_var.fill_(1.0 - norm.eps)
