"""What the tracking session needs of a network, and nothing more.

A tracking model encodes a frame (whole, or as square crops), makes templates from boxes on an
encoding, scores candidates for one or many templates, and segments chosen boxes. Every box at
this boundary is xyxy in the original frame's pixels; how the network resizes or crops is its
own business, recorded in the Encoded it returns.
"""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional, Protocol, Sequence

import torch
from torch import Tensor

Window = tuple[int, int, int]  # (left, top, side) of a square in frame pixels


@dataclass
class Encoded:
    """A frame as the network saw it: the pyramid of `batch` inputs, each a window of the frame
    resized to size x size; or, with frame_input, one input: the whole frame resized by the
    network's own rule to frame_input (height, width), x and y each by its own factor (the Mask
    R-CNN family's full frame; windows is then [(0, 0, longer side)], size the longer input side).

    attended: the pyramid as candidates() reweighted it, one input per template, kept by a network
    whose mask head reads the reweighted pyramid (the Mask R-CNN family) for masks(); None otherwise.

    passes: for each input, the pyramid pass it was cut from, where many crops share passes
    over the frame (the light family's model.light.passes.FramePass); None otherwise.
    """

    features: "OrderedDict[str, Tensor]"
    windows: list[Window]
    size: int
    frame_size: tuple[int, int]  # (height, width) of the original frame
    frame_input: Optional[tuple[int, int]] = None
    attended: Optional["OrderedDict[str, Tensor]"] = None
    passes: Optional[list[Any]] = None

    @property
    def batch(self) -> int:
        return len(self.windows)

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of every input in network pixels, before any padding."""
        return self.frame_input or (self.size, self.size)

    def inputs_of(self, count: int) -> list[int]:
        """For each of `count` templates searched on this encoding, the input its boxes are on
        (the `windows` argument of masks): its own, or the one input they all share."""
        return list(range(count)) if self.batch > 1 or self.attended is not None else [0] * count

    def select(self, indices: Sequence[int]) -> "Encoded":
        """The encoding of some of its inputs, in the given order (e.g. to make templates on a few of
        many crops); without what candidates() kept (attended)."""
        indices = list(indices)
        if indices == list(range(self.batch)):
            return self
        features = OrderedDict((k, f[indices]) for k, f in self.features.items())
        passes = None if self.passes is None else [self.passes[i] for i in indices]
        return Encoded(features, [self.windows[i] for i in indices], self.size, self.frame_size, self.frame_input, None, passes)

    def boxes_to_inputs(self, boxes: Tensor) -> Tensor:
        """Frame-pixel xyxy boxes [B, 4] -> the pixels of their inputs: box i on input i, or all on the one input."""
        if self.batch == 1:
            return self.to_input(boxes)
        return torch.cat([self.to_input(box[None], i) for i, box in enumerate(boxes)])

    def to_input(self, boxes: Tensor, index: int = 0) -> Tensor:
        """Frame-pixel xyxy boxes -> the pixels of input `index`."""
        if self.frame_input is None:
            return window_to_input(boxes, self.windows[index], self.size)
        return boxes * boxes.new_tensor(self._frame_scale() * 2)

    def to_frame(self, boxes: Tensor, index: int = 0) -> Tensor:
        """Input `index`'s xyxy boxes -> frame pixels."""
        if self.frame_input is not None:
            sx, sy = self._frame_scale()
            return boxes * boxes.new_tensor([1 / sx, 1 / sy] * 2)
        left, top, side = self.windows[index]
        return boxes * (side / self.size) + boxes.new_tensor([left, top, left, top])

    def _frame_scale(self) -> list[float]:
        """[x, y] factors from frame pixels to a whole-frame input's."""
        (height, width), (in_height, in_width) = self.frame_size, self.input_size
        return [in_width / width, in_height / height]


def window_to_input(boxes: Tensor, window: Window, size: int) -> Tensor:
    """Frame-pixel xyxy boxes -> pixels of the window's crop resized to size x size."""
    left, top, side = window
    return (boxes - boxes.new_tensor([left, top, left, top])) * (size / side)


@dataclass
class Candidates:
    """One template's candidates on one input, best first: boxes [K, 4] xyxy in frame pixels,
    scores [K] in [0, 1] that rank them, and where the ranking mixes in more than the network's
    belief that a box is the object, that belief [K] (presence: what the answer reports)."""

    boxes: Tensor
    scores: Tensor
    presence: Optional[Tensor] = None

    @property
    def reported(self) -> Tensor:
        """The score an answer reports: presence where given, else the ranking score."""
        return self.scores if self.presence is None else self.presence


class TrackingModel(Protocol):
    """The interface both model families serve (model.light.LightDetTrack, model.dettrack.DetTrack).

    encode(image, windows=None, size=None): a [3, H, W] frame in [0, 1], whole (windows=None, at
    the network's own input size) or as square crops resized to size x size.
    make_template(encoded, boxes): templates [B, T] from boxes [B, 4] on one input each, or on one
    for all: one row per object, which the session stacks (torch.cat), selects (rows) and hands
    back without looking inside. What a row holds is the family's: the Mask R-CNN family's is T_d
    [D]; the light family's packs named parts (T_d, spatial filter, class profile, verifier) that
    only its TemplateLayout (model/light/layout.py) reads and writes.
    candidates(encoded, templates, top_k): per template, its best candidates, ranked.
    masks(encoded, boxes, windows): [K, M, M] probabilities in boxes [K, 4], box j on input
    windows[j] (Encoded.inputs_of says which input each template's boxes are on).
    update_templates(encoded, boxes, templates, rate): templates [B, T] moved by rate towards
    what boxes [B, 4] show on the encoding (one input each, or one for all), in the parts the
    family updates (the session's template_update).
    Called on a list of [3, H, W] images in eval mode, it detects: one dict per image with boxes
    (xyxy), labels (class ids below detection_classes), scores and masks [N, 1, H, W], as
    torchvision's detectors return them (dettrack.detect). config holds what rebuilds it, its
    `family` key naming its family in model.families.
    """

    config: dict
    tracking_defaults: dict
    detection_classes: int

    def __call__(self, images: list[Tensor]) -> list[dict[str, Tensor]]: ...

    def encode(self, image: Tensor, windows: Optional[Sequence[Window]] = None, size: Optional[int] = None) -> Encoded: ...

    def make_template(self, encoded: Encoded, boxes: Tensor) -> Tensor: ...

    def candidates(self, encoded: Encoded, templates: Optional[Tensor], top_k: int = 100) -> list[Candidates]: ...

    def masks(self, encoded: Encoded, boxes: Tensor, windows: Optional[Sequence[int]] = None) -> Tensor: ...

    def update_templates(self, encoded: Encoded, boxes: Tensor, templates: Tensor, rate: float) -> Tensor: ...


class eval_mode:
    """Run a model in eval mode and restore its mode afterwards (the caller's model is left as it was).
    Switching modes walks every module: only a model in training mode is switched."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.was_training = self.model.training
        if self.was_training:
            self.model.eval()

    def __exit__(self, *exc: object) -> None:
        if self.was_training:
            self.model.train()
