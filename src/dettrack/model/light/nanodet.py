"""NanoDet-m in PyTorch: a ShuffleNetV2 1.0x trunk, a light PAN neck and a GFL dense head.

The layout of RangiLyu/nanodet's NanoDet-m (COCO, 80 classes): torchvision's ShuffleNetV2
with LeakyReLU(0.1) and no last 1x1 convolution; a PAN of 1x1 lateral convolutions with
bilinear top-down and bottom-up paths (no 3x3 convolutions) to 96 channels on strides
8, 16 and 32; per level, two depthwise-separable 3x3 convolutions and one 1x1 predictor
giving 80 class logits and 4 x 8 box-distance logits (generalised focal loss, reg_max 7).
converter.py fills it from the published ONNX file.
"""

from collections import OrderedDict
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.shufflenetv2 import ShuffleNetV2
from torchvision.ops.misc import Conv2dNormActivation

STRIDES = (8, 16, 32)
NUM_CLASSES = 80
REG_MAX = 7  # each box side is a distribution over 0..REG_MAX strides
INPUT_SIZE = 416
# NanoDet's normalisation, in RGB order on the 0-255 scale (the published file takes BGR input;
# the converter flips its first convolution's input channels so this module takes RGB)
MEAN_RGB = (123.675, 116.28, 103.53)
STD_RGB = (58.395, 57.12, 57.375)

LeakyReLU = partial(nn.LeakyReLU, 0.1)


class ShuffleNetV2Trunk(ShuffleNetV2):
    """torchvision's ShuffleNetV2 1.0x with NanoDet's LeakyReLU(0.1), returning stages 2-4 (strides 8, 16, 32)."""

    def __init__(self) -> None:
        super().__init__([4, 8, 4], [24, 116, 232, 464, 1024])
        del self.conv5, self.fc
        _swap_relu(self)
        self.out_channels = (116, 232, 464)

    def forward(self, x: Tensor) -> list[Tensor]:  # type: ignore[override]
        # the CPU max-pool kernel is vectorised over channels only in the channels-last layout
        x = self.maxpool(self.conv1(x).contiguous(memory_format=torch.channels_last)).contiguous()
        c3 = self.stage2(x)
        c4 = self.stage3(c3)
        return [c3, c4, self.stage4(c4)]


def _swap_relu(module: nn.Module) -> None:
    for name, child in module.named_children():
        if isinstance(child, nn.ReLU):
            setattr(module, name, LeakyReLU(inplace=True))
        else:
            _swap_relu(child)


class LightPAN(nn.Module):
    """NanoDet's PAN: 1x1 laterals, then a bilinear top-down and a bilinear bottom-up pass of additions."""

    def __init__(self, in_channels: tuple[int, ...], out_channels: int = 96) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)
        self.out_channels = out_channels

    def forward(self, inputs: list[Tensor]) -> list[Tensor]:
        laterals = [conv(x) for conv, x in zip(self.lateral, inputs)]
        for i in range(len(laterals) - 1, 0, -1):  # top-down
            laterals[i - 1] = laterals[i - 1] + _resize(laterals[i], laterals[i - 1])
        outs = [laterals[0]]
        for i in range(1, len(laterals)):  # bottom-up
            outs.append(laterals[i] + _resize(outs[-1], laterals[i]))
        return outs


def _resize(x: Tensor, like: Tensor) -> Tensor:
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


def _separable(channels: int) -> nn.Sequential:
    """Depthwise 3x3 then pointwise 1x1, each with batch norm and LeakyReLU (NanoDet's DWConv)."""
    return nn.Sequential(
        Conv2dNormActivation(channels, channels, 3, groups=channels, activation_layer=LeakyReLU),
        Conv2dNormActivation(channels, channels, 1, activation_layer=LeakyReLU),
    )


class GFLHead(nn.Module):
    """Per level: a tower of depthwise-separable convolutions and one 1x1 predictor.

    The predictor's first NUM_CLASSES channels are class logits, the next 4 x (REG_MAX + 1)
    the left/top/right/bottom distance distributions. `towers` are kept apart from the
    predictors so that tracking can add its own outputs on the same tower features.
    """

    def __init__(self, channels: int = 96, levels: int = 3, stacked: int = 2, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.towers = nn.ModuleList(nn.Sequential(*[_separable(channels) for _ in range(stacked)]) for _ in range(levels))
        self.predictors = nn.ModuleList(nn.Conv2d(channels, num_classes + 4 * (REG_MAX + 1), 1) for _ in range(levels))

    def forward(self, features: list[Tensor]) -> list[tuple[Tensor, Tensor, Tensor]]:
        """(tower features, class logits [B, C, H, W], distance logits [B, 32, H, W]) per level."""
        return [self.level(x, i) for i, x in enumerate(features)]

    def level(self, x: Tensor, index: int) -> tuple[Tensor, Tensor, Tensor]:
        """The head of level `index` alone (tracking runs only the levels that can hold its object)."""
        t = self.towers[index](x)
        cls, reg = self.predictors[index](t).split([self.num_classes, 4 * (REG_MAX + 1)], dim=1)
        return t, cls, reg


class NanoDet(nn.Module):
    """The whole detector on normalised input: trunk, PAN and head.

    pyramid() gives the PAN maps (what the tracking template reweights); head() runs the
    dense head on any maps of that shape, reweighted or not.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trunk = ShuffleNetV2Trunk()
        self.neck = LightPAN(self.trunk.out_channels, 96)
        self.head = GFLHead(96, len(STRIDES))
        self.register_buffer("mean", torch.tensor(MEAN_RGB).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD_RGB).view(1, 3, 1, 1), persistent=False)

    def normalize(self, images: Tensor) -> Tensor:
        """RGB images in [0, 1] [B, 3, H, W] (torchvision's convention) -> the network's input (NanoDet's mean and std)."""
        return (images * 255.0 - self.mean) / self.std

    def pyramid(self, images: Tensor) -> "OrderedDict[str, Tensor]":
        """PAN maps keyed by stride ('8', '16', '32') of RGB images in [0, 1]."""
        maps = self.neck(self.trunk(self.normalize(images)))
        return OrderedDict((str(s), m) for s, m in zip(STRIDES, maps))

    def forward(self, images: Tensor) -> list[tuple[Tensor, Tensor, Tensor]]:
        return self.head(list(self.pyramid(images).values()))
