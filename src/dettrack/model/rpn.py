"""torchvision's RPN for many templates on one pyramid, with the first convolution shared exactly.

Tracking N objects in one frame runs the RPN on N reweighted pyramids P * S_n. Its 3x3
convolution is most of the per-object cost (on the stride-4 level above all), but the
similarity S_n is one scalar per location, so the convolution factorises:

    conv(P * S)(x) = b + sum_k (W_k P)(x + k) * S(x + k)

over the 9 kernel offsets k. The nine 1x1 products W_k P are computed once per frame
(one matrix product); each object then costs nine multiply-adds per output value
instead of a full convolution. The 1x1 objectness and box predictors of all objects run
as one batched matrix product. The result equals the plain path up to float rounding.
Training runs torchvision's RPN as it is.
"""

from collections import OrderedDict
from itertools import product

import torch
from torch import Tensor, nn
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.rpn import RegionProposalNetwork, concat_box_prediction_layers


def conv_of_scaled(feature: Tensor, scales: Tensor, conv: nn.Conv2d) -> Tensor:
    """conv(feature * scale) for each of N scale maps, exactly: [1, C, H, W] x [N, 1, H, W] -> [N, O, H, W].

    conv must be a plain square convolution (stride 1, 'same' padding, no dilation or groups).
    """
    out_channels, _, size, _ = conv.weight.shape
    pad = size // 2
    height, width = feature.shape[-2:]
    # the products of every kernel offset's weights with the shared map, as one matrix product
    # (a 1x1 convolution with 9 x O outputs, but faster: it is memory-bound)
    weights = conv.weight.permute(2, 3, 0, 1).reshape(size * size * out_channels, -1)
    products = (weights @ feature[0].flatten(1)).view(size * size, out_channels, height, width)
    bias = conv.bias if conv.bias is not None else feature.new_zeros(out_channels)
    offsets = list(product(range(-pad, pad + 1), repeat=2))
    centre = offsets.index((0, 0))
    out = torch.addcmul(bias.view(1, -1, 1, 1), products[centre][None], scales)
    for k, (dy, dx) in enumerate(offsets):
        if k == centre:
            continue
        # out(y, x) += products_k(y + dy, x + dx) * scale(y + dy, x + dx) where inside the map
        rows, cols = _overlap(dy, height), _overlap(dx, width)
        source_rows, source_cols = slice(rows.start + dy, rows.stop + dy), slice(cols.start + dx, cols.stop + dx)
        out[:, :, rows, cols].addcmul_(products[k, :, source_rows, source_cols], scales[:, :, source_rows, source_cols])
    return out


def _overlap(offset: int, length: int) -> slice:
    """Output positions i whose input i + offset lies inside [0, length)."""
    return slice(max(0, -offset), length - max(0, offset))


def factorisable(conv: nn.Module) -> bool:
    """Whether conv_of_scaled computes this module exactly."""
    return (
        isinstance(conv, nn.Conv2d)
        and conv.kernel_size[0] == conv.kernel_size[1]
        and conv.kernel_size[0] % 2 == 1
        and conv.stride == (1, 1)
        and conv.dilation == (1, 1)
        and conv.groups == 1
        and conv.padding == (conv.kernel_size[0] // 2,) * 2
        and conv.padding_mode == "zeros"
    )


def shares_first_conv(rpn: RegionProposalNetwork) -> bool:
    """Whether propose_scaled can serve this RPN: torchvision's RPNHead layout, a plain first
    convolution and 1x1 objectness and box predictors."""
    convs = getattr(rpn.head, "conv", None)
    predictors = [getattr(rpn.head, name, None) for name in ("cls_logits", "bbox_pred")]
    return (
        isinstance(convs, nn.Sequential)
        and len(convs) > 0
        and factorisable(_first_conv(convs))
        and all(factorisable(p) and p.kernel_size == (1, 1) and p.bias is not None for p in predictors)
    )


def propose_scaled(
    rpn: RegionProposalNetwork, images: ImageList, features: "OrderedDict[str, Tensor]", scales: "OrderedDict[str, Tensor]"
) -> list[Tensor]:
    """torchvision's RPN proposals (inference) for the N images of `images`, image n being the
    pyramid `features` (batch 1) times the similarity maps scales[level][n]: the same as
    running `rpn` on the N reweighted pyramids, at about the cost of one."""
    if rpn.training or not shares_first_conv(rpn):
        raise RuntimeError("propose_scaled is an inference shortcut for an RPN head whose first layer is a plain convolution")
    first, rest = _first_conv(rpn.head.conv), _after_first_conv(rpn.head.conv)
    # both 1x1 predictors as one batched matrix product: on N maps of few output channels this
    # is several times faster than two convolutions
    cls_logits, bbox_pred = rpn.head.cls_logits, rpn.head.bbox_pred
    weight = torch.cat([cls_logits.weight, bbox_pred.weight]).flatten(1)
    bias = torch.cat([cls_logits.bias, bbox_pred.bias]).view(1, -1, 1)
    anchors_per_location = cls_logits.out_channels
    objectness, deltas = [], []
    for name, feature in features.items():
        hidden = rest(conv_of_scaled(feature, scales[name], first))
        n, channels, height, width = hidden.shape
        both = torch.baddbmm(bias, weight.expand(n, -1, -1), hidden.reshape(n, channels, -1)).view(n, -1, height, width)
        objectness.append(both[:, :anchors_per_location])
        deltas.append(both[:, anchors_per_location:])
    anchors = rpn.anchor_generator(images, list(features.values()))
    per_level = [o[0].numel() for o in objectness]
    objectness, deltas = concat_box_prediction_layers(objectness, deltas)
    proposals = rpn.box_coder.decode(deltas, anchors).view(len(anchors), -1, 4)
    boxes, _ = rpn.filter_proposals(proposals, objectness, images.image_sizes, per_level)
    return boxes


def _first_conv(convs: nn.Sequential) -> nn.Module:
    block = convs[0]
    return block[0] if isinstance(block, nn.Sequential) else block


def _after_first_conv(convs: nn.Sequential) -> nn.Module:
    block = convs[0]
    after = list(block)[1:] if isinstance(block, nn.Sequential) else []
    return nn.Sequential(*after, *convs[1:])
