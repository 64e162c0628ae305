"""Backbones with a feature pyramid (P2..P5 at strides 4..32, plus P6 'pool' at 64).

Built from torchvision's own classes: resnet_fpn_backbone for ResNets and
BackboneWithFPN over the MobileNet feature stacks, tapped at the end of the
stride-4, 8, 16 and 32 stages so every backbone gives the same pyramid.
"""

from typing import Callable, Optional

import torch
from torch import nn
from torchvision.models import mobilenet_v2, mobilenet_v3_large
from torchvision.models.detection.backbone_utils import BackboneWithFPN, resnet_fpn_backbone
from torchvision.ops import FrozenBatchNorm2d
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

from .weights import WeightsSource, load_into, resolve_state_dict

# Last block of each stride-4/8/16/32 stage in torchvision's MobileNet `features`.
_MOBILENET_TAPS = {
    "mobilenet_v2": (mobilenet_v2, ("3", "6", "13", "18"), "mobilenet_v2"),
    "mobilenet_v3": (mobilenet_v3_large, ("3", "6", "12", "16"), "mobilenet_v3_large"),
}
_RESNETS = {"resnet50": "resnet50", "resnet18": "resnet18"}

BACKBONES: tuple[str, ...] = ("resnet50_fpn", "resnet18_fpn", "mobilenet_v2_fpn", "mobilenet_v3_fpn")


def _norm_layer(frozen_bn: bool) -> Callable[..., nn.Module]:
    return FrozenBatchNorm2d if frozen_bn else nn.BatchNorm2d


def _resnet_fpn(arch: str, weights: WeightsSource, out_channels: int, trainable_layers: int, frozen_bn: bool) -> BackboneWithFPN:
    backbone = resnet_fpn_backbone(
        backbone_name=arch,
        weights=None,
        norm_layer=_norm_layer(frozen_bn),
        trainable_layers=trainable_layers,
    )
    if out_channels != backbone.out_channels:
        backbone = BackboneWithFPN(
            backbone.body,
            return_layers={f"layer{i}": str(i - 1) for i in range(1, 5)},
            in_channels_list=[block[0].in_channels for block in backbone.fpn.inner_blocks],
            out_channels=out_channels,
            extra_blocks=LastLevelMaxPool(),
        )
    state_dict = resolve_state_dict(weights, arch)
    if state_dict is not None:
        load_into(backbone.body, state_dict, ignore_prefixes=("fc.",), what=f"{arch} (backbone of {arch}_fpn)")
    return backbone


def _mobilenet_fpn(name: str, weights: WeightsSource, out_channels: int, trainable_layers: int, frozen_bn: bool) -> BackboneWithFPN:
    factory, taps, arch = _MOBILENET_TAPS[name]
    net = factory(weights=None, norm_layer=_norm_layer(frozen_bn))
    state_dict = resolve_state_dict(weights, arch)
    if state_dict is not None:
        load_into(net, state_dict, ignore_prefixes=("classifier.",), what=f"{arch} (backbone of {name}_fpn)")
    features = net.features
    _freeze_early_stages(features, trainable_layers)
    return BackboneWithFPN(
        features,
        return_layers={tap: str(i) for i, tap in enumerate(taps)},
        in_channels_list=[features[int(tap)].out_channels for tap in taps],
        out_channels=out_channels,
        extra_blocks=LastLevelMaxPool(),
    )


def _freeze_early_stages(features: nn.Sequential, trainable_layers: int) -> None:
    """Freeze all but the last `trainable_layers` stages, counted as torchvision's mobilenet_backbone counts them."""
    stages = [0] + [i for i, block in enumerate(features) if getattr(block, "_is_cn", False)] + [len(features) - 1]
    if not 0 <= trainable_layers <= len(stages):
        raise ValueError(f"trainable_layers must be in [0, {len(stages)}], got {trainable_layers}")
    freeze_before = len(features) if trainable_layers == 0 else stages[len(stages) - trainable_layers]
    for block in list(features)[:freeze_before]:
        for p in block.parameters():
            p.requires_grad_(False)


def build_backbone(
    name: str,
    weights: WeightsSource = None,
    out_channels: int = 256,
    trainable_layers: Optional[int] = None,
    frozen_bn: bool = True,
) -> BackboneWithFPN:
    """Build one of BACKBONES with an FPN of `out_channels` channels.

    weights: None (random init), a torchvision weights name of the classification
    network ('IMAGENET1K_V1', downloads once) or a local file in torchvision's layout
    (e.g. ../shared/weights/mobilenet_v2_imagenet.pt). trainable_layers: how many of the
    last stages train (torchvision's defaults: 3 when pretrained, all otherwise).
    frozen_bn: batch norm as fixed affine layers, as in torchvision's detection training.
    """
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}")
    arch = name[: -len("_fpn")]
    if trainable_layers is None:
        trainable_layers = default_trainable_layers(name, pretrained=weights is not None)
    if arch in _RESNETS:
        return _resnet_fpn(arch, weights, out_channels, trainable_layers, frozen_bn)
    return _mobilenet_fpn(arch, weights, out_channels, trainable_layers, frozen_bn)


def fold_frozen_batchnorm(module: nn.Module) -> int:
    """Fold each FrozenBatchNorm2d into the convolution it follows: the same function with one
    elementwise pass less per layer (about 9% of a MobileNetV2 search-region frame on 2 CPU
    cores). Pairs are siblings in a Sequential (MobileNet, ResNet downsample) or convK/bnK
    attributes (ResNet blocks); each folded norm becomes an Identity and its convolution gets a
    bias (trainable as its weight is). Returns how many norms were folded."""
    folded = 0
    for parent in list(module.modules()):
        names = list(parent._modules)
        if isinstance(parent, nn.Sequential):
            pairs = list(zip(names, names[1:]))
        else:
            pairs = [(n, "bn" + n[4:]) for n in names if n.startswith("conv") and "bn" + n[4:] in parent._modules]
        for conv_name, norm_name in pairs:
            conv, norm = parent._modules[conv_name], parent._modules[norm_name]
            if isinstance(conv, nn.Conv2d) and isinstance(norm, FrozenBatchNorm2d):
                _fold_into(conv, norm)
                parent._modules[norm_name] = nn.Identity()
                folded += 1
    return folded


@torch.no_grad()
def _fold_into(conv: nn.Conv2d, norm: FrozenBatchNorm2d) -> None:
    scale = norm.weight * (norm.running_var + norm.eps).rsqrt()
    shift = norm.bias - norm.running_mean * scale
    bias = shift if conv.bias is None else conv.bias * scale + shift
    conv.weight.mul_(scale.view(-1, 1, 1, 1))
    conv.bias = nn.Parameter(bias.clone(), requires_grad=conv.weight.requires_grad)


def default_trainable_layers(name: str, pretrained: bool) -> int:
    """torchvision's rule: the last 3 stages train when pretrained, every stage otherwise."""
    if pretrained:
        return 3
    return 5 if name.startswith("resnet") else 6
