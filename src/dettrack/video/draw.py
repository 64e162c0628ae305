"""Overlays: boxes, translucent masks and labels drawn on a frame (tracks and detections)."""

from typing import Hashable, Mapping, NamedTuple, Optional, Sequence

import cv2
import numpy as np

from ..types import TrackResult

_COLOURS = np.array(
    [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
     (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190), (0, 128, 128), (170, 110, 40)],
    dtype=np.uint8,
)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
LABEL_TRIES = 4  # places a label tries (its own, then each a label's height lower) before it covers another


class Instance(NamedTuple):
    box: Sequence[float]  # x, y, w, h
    mask: Optional[np.ndarray]  # H x W bool, drawn translucent
    label: str
    colour: tuple[int, int, int]
    solid: bool = True  # thick outline; thin for absent objects
    extent: Optional[tuple[slice, slice]] = None  # mask_extent(mask) when the caller has it (else computed)


def colour_of(index: int) -> tuple[int, int, int]:
    return tuple(int(c) for c in _COLOURS[index % len(_COLOURS)])


def mask_extent(mask: np.ndarray) -> Optional[tuple[slice, slice]]:
    """The rows and columns an H x W bool mask covers, as slices (None when it is empty): indexing a
    whole frame by a mask costs about 1 ms on 480p, indexing its extent a tenth of that."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not len(rows):
        return None
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def draw_instances(frame: np.ndarray, instances: Sequence[Instance], alpha: float = 0.45) -> np.ndarray:
    """A copy of `frame` with every instance's mask tinted and its box and label drawn.

    Lines and labels scale with the frame (a label is about 3% of the shorter side tall,
    22 px on 1280x720), so they stay readable on large frames and do not swamp small ones; a
    label is kept inside the frame when its box reaches past the left or right edge.
    """
    image = np.array(frame, dtype=np.uint8, order="C")  # a copy; only masked pixels are blended
    for inst in instances:
        if inst.mask is not None and inst.mask.shape != image.shape[:2]:
            raise ValueError(f"the mask of {inst.label!r} is {inst.mask.shape[::-1]} (width, height), the frame {image.shape[1::-1]}")
        extent = None if inst.mask is None else inst.extent or mask_extent(inst.mask)
        if extent is not None:
            region = image[extent]  # a view: blending it blends the image
            tinted = cv2.addWeighted(region, 1 - alpha, np.full_like(region, inst.colour), alpha, 0)  # rounded, as a convex blend stays in range
            np.copyto(region, tinted, where=inst.mask[extent][..., None])
    font_scale = max(0.4, min(frame.shape[:2]) / 720)
    text_width = max(1, round(2 * font_scale))
    pad = max(2, round(4 * font_scale))
    labels = _place_labels(instances, image.shape[:2], font_scale, text_width, pad)
    for k in sorted(range(len(instances)), key=lambda k: instances[k].solid):  # present objects' boxes and labels on top of absent ones'
        inst = instances[k]
        x1, y1 = round(inst.box[0]), round(inst.box[1])
        x2, y2 = round(inst.box[0] + inst.box[2]), round(inst.box[1] + inst.box[3])
        cv2.rectangle(image, (x1, y1), (x2, y2), inst.colour, max(1, round(3 * font_scale)) if inst.solid else 1)
        (left, top, right, bottom), text_at = labels[k]
        cv2.rectangle(image, (left, top), (right, bottom), inst.colour, cv2.FILLED)
        cv2.putText(image, inst.label, text_at, _FONT, font_scale, (0, 0, 0), text_width, cv2.LINE_AA)
    return image


def _place_labels(
    instances: Sequence[Instance], size: tuple[int, int], font_scale: float, text_width: int, pad: int
) -> list[tuple[tuple[int, int, int, int], tuple[int, int]]]:
    """Each label's filled rectangle (left, top, right, bottom) and its text's origin: above its
    box's top-left corner, inside the frame; one that would cover a label placed before it (present
    objects' first) moves down by its own height, to the first of LABEL_TRIES places where it covers
    none, so that the labels of objects side by side stay readable."""
    placed: list[tuple[int, int, int, int]] = []
    labels: dict[int, tuple[tuple[int, int, int, int], tuple[int, int]]] = {}
    for k in sorted(range(len(instances)), key=lambda k: not instances[k].solid):
        inst = instances[k]
        (width, height), baseline = cv2.getTextSize(inst.label, _FONT, font_scale, text_width)
        tall, wide = height + baseline + pad, width + 2 * pad
        left = max(0, min(round(inst.box[0]), size[1] - 1 - wide))
        first = max(0, round(inst.box[1]) - tall)
        own = (left, first, left + wide, first + tall)  # as cv2.rectangle fills it: both ends included
        lower = ((left, first + step * (tall + 1), left + wide, first + step * (tall + 1) + tall) for step in range(1, LABEL_TRIES))
        free = (r for r in (own, *lower) if (r is own or r[3] < size[0]) and not any(_overlap(r, other) for other in placed))
        rect = next(free, own)  # its own place where no other is free
        placed.append(rect)
        labels[k] = rect, (rect[0] + pad, rect[1] + height + pad // 2)
    return [labels[k] for k in range(len(instances))]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def draw_results(
    frame: np.ndarray,
    results: Mapping[Hashable, TrackResult],
    order: Mapping[Hashable, int],
    names: Mapping[Hashable, str] = {},
    extents: Mapping[Hashable, Optional[tuple[slice, slice]]] = {},
) -> np.ndarray:
    """Tracking overlay: masks and thick boxes of present objects, thin boxes at absent ones' last guess.

    `order` maps object ids to colour indices so colours stay stable over the video; `names`
    gives objects a class name in their label ('3 person 0.87'); `extents`, the mask_extent of
    masks the caller already measured.
    """
    instances = [
        Instance(
            r.box,
            r.mask if r.present else None,
            " ".join(filter(None, (str(obj_id), names.get(obj_id, ""), f"{r.score:.2f}"))) + ("" if r.present else " absent"),
            colour_of(order[obj_id]),
            r.present,
            extents.get(obj_id),
        )
        for obj_id, r in results.items()
    ]
    return draw_instances(frame, instances)
