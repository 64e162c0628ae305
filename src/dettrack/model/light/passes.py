"""Pyramid passes over parts of a frame, and the crops cut out of them.

Many objects tracked in one frame each need the pyramid of a square crop around them. Crops
of about the same scale share one pass over the frame region that holds them; each crop's
cells of the levels the candidates read are cut out of that pass, while masks pool straight
from the pass (the fine level, which only the masks read, is never cut out).
"""

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import torch
from torch import Tensor

from ...boxes import size_groups
from ...crops import crop_images, resize
from ..interface import Window
from ..roi_align import roi_align

Pyramid = Callable[[Tensor], "OrderedDict[str, Tensor]"]  # an input batch [N, 3, h, w] -> its maps by stride


@dataclass
class FramePass:
    """One pyramid pass over part of a frame: input `index` of `features` ([N, C, h, w] per
    stride) shows the frame from `origin` (x, y, frame pixels) on, at `scale` (x, y) input
    pixels per frame pixel; `input_size` is that input's (height, width), padding included."""

    features: "OrderedDict[str, Tensor]"
    index: int
    origin: tuple[float, float]
    scale: tuple[float, float]
    input_size: tuple[int, int]

    def to_input(self, boxes: Tensor) -> Tensor:
        """Frame-pixel xyxy boxes -> this pass's input pixels."""
        (x0, y0), (sx, sy) = self.origin, self.scale
        return (boxes - boxes.new_tensor([x0, y0, x0, y0])) * boxes.new_tensor([sx, sy, sx, sy])


def crop_passes(features: "OrderedDict[str, Tensor]", windows: Sequence[Window], size: int) -> list[FramePass]:
    """The passes of a batch of crops, one window resized to size x size each."""
    return [FramePass(features, n, (left, top), (size / side, size / side), (size, size)) for n, (left, top, side) in enumerate(windows)]


def by_pass(passes: Sequence[FramePass]) -> list[list[int]]:
    """Indices of passes grouped by the pyramid they read, in order of first appearance."""
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(passes):
        groups.setdefault(id(p.features), []).append(i)
    return list(groups.values())


def frame_passes(pyramid: Pyramid, image: Tensor, windows: list[Window], size: int, shared_scale: float) -> list[FramePass]:
    """The pass each of many crops (windows, resized to size x size) of a [3, H, W] frame comes from,
    pyramid computing the maps of an input batch. Crops of about the same scale (within
    shared_scale of each other) share one pass over the frame region that holds them, when that
    region has fewer pixels than their crops together; the others go through as crops, in one batch."""
    passes: list[Optional[FramePass]] = [None] * len(windows)
    for group in size_groups([side for _, _, side in windows], shared_scale):
        shared = _shared_pass(pyramid, image, [windows[i] for i in group], size) if len(group) > 1 else None
        for i, frame_pass in zip(group, shared or []):
            passes[i] = frame_pass
    rest = [i for i, frame_pass in enumerate(passes) if frame_pass is None]
    if rest:
        crops = [windows[i] for i in rest]
        for i, frame_pass in zip(rest, crop_passes(pyramid(crop_images(image, crops, size)), crops, size)):
            passes[i] = frame_pass
    return passes  # type: ignore[return-value]


def _shared_pass(pyramid: Pyramid, image: Tensor, windows: list[Window], size: int) -> Optional[list[FramePass]]:
    """One pass over the frame region that holds every window, at the windows' median scale;
    None when that region has more pixels than the crops together (then crops are cheaper)."""
    height, width = (int(v) for v in image.shape[-2:])
    scale = float(torch.tensor([size / side for _, _, side in windows]).median())
    x0, y0 = max(0, min(w[0] for w in windows)), max(0, min(w[1] for w in windows))
    x1, y1 = min(width, max(w[0] + w[2] for w in windows)), min(height, max(w[1] + w[2] for w in windows))
    if x1 <= x0 or y1 <= y0:
        return None
    region_w, region_h = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    canvas_w, canvas_h = math.ceil(region_w / 32) * 32, math.ceil(region_h / 32) * 32
    if canvas_w * canvas_h >= len(windows) * size * size:
        return None
    canvas = image.new_zeros(1, image.shape[0], canvas_h, canvas_w)
    canvas[..., :region_h, :region_w] = resize(image[None, :, y0:y1, x0:x1], (region_h, region_w))
    shared = FramePass(pyramid(canvas), 0, (x0, y0), (region_w / (x1 - x0), region_h / (y1 - y0)), (canvas_h, canvas_w))
    return [shared] * len(windows)


def cut_out(passes: list[FramePass], windows: list[Window], size: int, strides: Sequence[int]) -> "OrderedDict[str, Tensor]":
    """Each window's maps of the given levels, [N, C, size / stride, size / stride]: a sample
    at each of its cells' centres in its pass (RoIAlign; a crop's own maps, exactly)."""
    groups = by_pass(passes)
    order = [i for group in groups for i in group]
    rois = []
    for group in groups:
        corners = torch.tensor([[w[0], w[1], w[0] + w[2], w[1] + w[2]] for w in (windows[i] for i in group)], dtype=torch.float32)
        index = torch.tensor([[float(passes[i].index)] for i in group])
        rois.append(torch.cat([index, torch.cat([passes[i].to_input(c[None]) for i, c in zip(group, corners)])], 1))
    features = OrderedDict()
    for stride in strides:
        name = str(stride)
        cut = [
            roi_align(passes[group[0]].features[name], r.to(passes[group[0]].features[name]), size // stride, 1.0 / stride, 1, True)
            for group, r in zip(groups, rois)
        ]
        maps = torch.cat(cut) if len(cut) > 1 else cut[0]
        if order != sorted(order):
            maps = maps[torch.tensor(order).argsort()]
        features[name] = maps
    return features
