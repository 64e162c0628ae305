"""Training samples and their conversion to model inputs.

A tracking pair is (template frame + box, search frame + the one object's box or
nothing when it is absent, + its mask where known); a detection sample is an image
with its boxes, labels and masks. Boxes are xyxy pixels here (training internals).
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch import Tensor


@dataclass
class PairSample:
    template_image: np.ndarray  # H x W x 3 uint8
    template_box: np.ndarray  # (4,) xyxy
    search_image: np.ndarray
    search_box: Optional[np.ndarray]  # (4,) xyxy, None when the object is absent
    search_mask: Optional[np.ndarray] = None  # H x W bool, None when unknown


@dataclass
class DetectionSample:
    image: np.ndarray
    boxes: np.ndarray  # (N, 4) xyxy
    labels: np.ndarray  # (N,) int
    masks: Optional[np.ndarray] = None  # (N, H, W) bool


def image_tensor(image: np.ndarray) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255)


def jitter_box(box: np.ndarray, amount: float, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Shift and rescale an xyxy box by up to `amount` of its size, kept inside the image."""
    w, h = box[2] - box[0], box[3] - box[1]
    cx, cy = (box[0] + box[2]) / 2 + rng.uniform(-amount, amount) * w, (box[1] + box[3]) / 2 + rng.uniform(-amount, amount) * h
    w, h = w * np.exp(rng.uniform(-amount, amount)), h * np.exp(rng.uniform(-amount, amount))
    out = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    out[[0, 2]] = out[[0, 2]].clip(0, size[1])
    out[[1, 3]] = out[[1, 3]].clip(0, size[0])
    if out[2] - out[0] < 1 or out[3] - out[1] < 1:
        return box.astype(np.float64)
    return out


def flip_pair(sample: PairSample) -> PairSample:
    """Mirror both frames left-right (the object keeps its appearance across the pair)."""

    def flip_box(box: Optional[np.ndarray], width: int) -> Optional[np.ndarray]:
        return None if box is None else np.array([width - box[2], box[1], width - box[0], box[3]])

    return PairSample(
        sample.template_image[:, ::-1],
        flip_box(sample.template_box, sample.template_image.shape[1]),
        sample.search_image[:, ::-1],
        flip_box(sample.search_box, sample.search_image.shape[1]),
        None if sample.search_mask is None else sample.search_mask[:, ::-1],
    )


def pair_inputs(samples: list[PairSample]) -> tuple[list[Tensor], Tensor, list[Tensor], list[dict[str, Tensor]]]:
    """(template images, template boxes [B, 4], search images, search targets) for DetTrack."""
    templates = [image_tensor(s.template_image) for s in samples]
    boxes = torch.tensor(np.stack([s.template_box for s in samples]), dtype=torch.float32)
    searches = [image_tensor(s.search_image) for s in samples]
    targets = []
    for s in samples:
        if s.search_box is None:
            target = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
        else:
            target = {"boxes": torch.tensor(s.search_box, dtype=torch.float32)[None], "labels": torch.ones(1, dtype=torch.int64)}
            if s.search_mask is not None:
                target["masks"] = torch.from_numpy(np.ascontiguousarray(s.search_mask)).to(torch.uint8)[None]
        targets.append(target)
    return templates, boxes, searches, targets


def detection_inputs(samples: list[DetectionSample]) -> tuple[list[Tensor], list[dict[str, Tensor]]]:
    images = [image_tensor(s.image) for s in samples]
    targets = []
    for s in samples:
        target = {"boxes": torch.tensor(s.boxes, dtype=torch.float32).reshape(-1, 4), "labels": torch.tensor(s.labels, dtype=torch.int64)}
        if s.masks is not None:
            target["masks"] = torch.from_numpy(np.ascontiguousarray(s.masks)).to(torch.uint8)
        targets.append(target)
    return images, targets
