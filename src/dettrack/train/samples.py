"""Training samples and their conversion to model inputs.

A tracking pair is (template frame + box, search frame + the one object's box or
nothing when it is absent, + its mask where known); a detection sample is an image
with its boxes, labels and masks. Boxes are xyxy pixels here (training internals).
"""

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np
import torch
import torchvision.transforms.v2.functional as TF
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


def _chw(image: np.ndarray) -> Tensor:
    """An H x W x 3 uint8 frame as a [3, H, W] uint8 tensor (read-only frames are copied)."""
    image = np.ascontiguousarray(image)
    return torch.from_numpy(image if image.flags.writeable else image.copy()).permute(2, 0, 1)


def image_tensor(image: np.ndarray) -> Tensor:
    return _chw(image).float().div_(255)


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


def photometric(image: np.ndarray, rng: np.random.Generator, strength: float = 0.3) -> np.ndarray:
    """Colour and focus jitter of one H x W x 3 uint8 frame (torchvision's functional ops).

    Brightness, contrast and saturation scaled by up to 1 +- strength, hue shifted by up to
    strength / 6, then grayscale (1 in 10) and a Gaussian blur (1 in 5). The object looks
    different from its template, as after a lighting change or motion blur, so matching has
    to rest on more than its exact colours.
    """
    x = _chw(image)
    x = TF.adjust_brightness(x, float(rng.uniform(1 - strength, 1 + strength)))
    x = TF.adjust_contrast(x, float(rng.uniform(1 - strength, 1 + strength)))
    x = TF.adjust_saturation(x, float(rng.uniform(1 - strength, 1 + strength)))
    x = TF.adjust_hue(x, float(rng.uniform(-strength, strength)) / 6)
    if rng.random() < 0.1:
        x = TF.rgb_to_grayscale(x, num_output_channels=3)
    if rng.random() < 0.2:
        sigma = float(rng.uniform(0.5, 2.0))
        x = TF.gaussian_blur(x, kernel_size=2 * int(np.ceil(2 * sigma)) + 1, sigma=sigma)
    return x.permute(1, 2, 0).numpy()


def part_of(sample: PairSample, rng: np.random.Generator, size: tuple[float, float] = (0.35, 0.7)) -> PairSample:
    """The same sub-rectangle of the object's box in both frames (its head, its front half, ...):
    "any object" includes parts, which a COCO detector does not call objects. The mask is
    dropped (it is the whole object's); an absent object stays absent."""
    w, h = rng.uniform(*size, 2)
    u, v = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)

    def part(box: Optional[np.ndarray]) -> Optional[np.ndarray]:
        if box is None:
            return None
        bw, bh = box[2] - box[0], box[3] - box[1]
        return np.array([box[0] + u * bw, box[1] + v * bh, box[0] + (u + w) * bw, box[1] + (v + h) * bh])

    return PairSample(sample.template_image, part(sample.template_box), sample.search_image, part(sample.search_box), None)


def shrink_pair(sample: PairSample, rng: np.random.Generator, side: tuple[float, float] = (12.0, 48.0)) -> PairSample:
    """Both frames downscaled (area averaging) so the template's object is `side` pixels across
    (square root of its area): a small target in low-resolution video, which the tracker's
    crop then enlarges and blurs, as on OTB or drone footage. Pairs whose object is already
    that small are left as they are."""
    x1, y1, x2, y2 = sample.template_box
    factor = rng.uniform(*side) / max(np.sqrt(max(x2 - x1, 1.0) * max(y2 - y1, 1.0)), 1.0)
    if factor >= 1.0:
        return sample

    def image(frame: np.ndarray) -> np.ndarray:
        height, width = frame.shape[:2]
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        return cv2.resize(np.ascontiguousarray(frame), size, interpolation=cv2.INTER_AREA)

    def box(b: Optional[np.ndarray], frame: np.ndarray, small: np.ndarray) -> Optional[np.ndarray]:
        if b is None:
            return None
        return b * np.array([small.shape[1] / frame.shape[1], small.shape[0] / frame.shape[0]] * 2)

    template, search = image(sample.template_image), image(sample.search_image)
    mask = None
    if sample.search_mask is not None:
        mask = cv2.resize(sample.search_mask.astype(np.uint8), search.shape[1::-1], interpolation=cv2.INTER_NEAREST).astype(bool)
    search_box = box(sample.search_box, sample.search_image, search)
    if search_box is not None and min(search_box[2] - search_box[0], search_box[3] - search_box[1]) < 1:
        return sample
    return PairSample(template, box(sample.template_box, sample.template_image, template), search, search_box, mask)


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


def crop_search(sample: PairSample, rng: np.random.Generator, context: tuple[float, float] = (2.0, 5.0)) -> PairSample:
    """Cut the search frame down to a square around the object, as the tracker's search-region mode sees it.

    The side is sqrt(wh) times a random context factor, the centre is shifted at random
    (the object stays at least partly inside); out-of-frame parts are filled with the
    frame's mean colour. Without an object (absent), a random square is taken.
    """
    image = sample.search_image
    height, width = image.shape[:2]
    if sample.search_box is not None:
        x1, y1, x2, y2 = sample.search_box
        side = float(np.sqrt(max(x2 - x1, 1) * max(y2 - y1, 1)) * rng.uniform(*context))
        cx = (x1 + x2) / 2 + rng.uniform(-0.25, 0.25) * side
        cy = (y1 + y2) / 2 + rng.uniform(-0.25, 0.25) * side
    else:
        side = float(min(height, width) * rng.uniform(0.3, 1.0))
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    side = max(side, 16.0)
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    size = int(round(side))
    crop = np.empty((size, size, 3), np.uint8)
    crop[:] = image.reshape(-1, 3).mean(0).astype(np.uint8)
    sx1, sy1, sx2, sy2 = max(left, 0), max(top, 0), min(left + size, width), min(top + size, height)
    if sx2 > sx1 and sy2 > sy1:
        crop[sy1 - top : sy2 - top, sx1 - left : sx2 - left] = image[sy1:sy2, sx1:sx2]
    mask = None
    if sample.search_mask is not None:
        mask = np.zeros((size, size), bool)
        if sx2 > sx1 and sy2 > sy1:
            mask[sy1 - top : sy2 - top, sx1 - left : sx2 - left] = sample.search_mask[sy1:sy2, sx1:sx2]
    box = None
    if mask is not None and mask.any():
        ys, xs = np.nonzero(mask)
        box = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)
    elif sample.search_box is not None:
        b = sample.search_box - np.array([left, top, left, top], dtype=np.float64)
        b = np.clip(b, 0, size)
        if b[2] - b[0] >= 2 and b[3] - b[1] >= 2:
            box = b
    return PairSample(sample.template_image, sample.template_box, crop, box, mask if box is not None else None)
