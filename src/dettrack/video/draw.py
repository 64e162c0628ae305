"""Overlays: boxes, translucent masks and labels drawn on a frame (tracks and detections)."""

from typing import Hashable, Mapping, NamedTuple, Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw

from ..types import TrackResult

_COLOURS = np.array(
    [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
     (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190), (0, 128, 128), (170, 110, 40)],
    dtype=np.uint8,
)


class Instance(NamedTuple):
    box: Sequence[float]  # x, y, w, h
    mask: Optional[np.ndarray]  # H x W bool, drawn translucent
    label: str
    colour: tuple[int, int, int]
    solid: bool = True  # thick outline; thin for absent objects


def colour_of(index: int) -> tuple[int, int, int]:
    return tuple(int(c) for c in _COLOURS[index % len(_COLOURS)])


def draw_instances(frame: np.ndarray, instances: Sequence[Instance], alpha: float = 0.45) -> np.ndarray:
    """A copy of `frame` with every instance's mask tinted and its box and label drawn."""
    canvas = frame.astype(np.float32)
    for inst in instances:
        if inst.mask is not None:
            canvas[inst.mask] = canvas[inst.mask] * (1 - alpha) + np.array(inst.colour, np.float32) * alpha
    image = Image.fromarray(canvas.clip(0, 255).astype(np.uint8))
    pen = ImageDraw.Draw(image)
    for inst in instances:
        x, y, w, h = inst.box
        pen.rectangle([x, y, x + w, y + h], outline=inst.colour, width=3 if inst.solid else 1)
        left, top, right, bottom = pen.textbbox((x, y), inst.label)
        top_edge = max(0, y - (bottom - top) - 4)
        pen.rectangle([x, top_edge, x + right - left + 4, top_edge + bottom - top + 4], fill=inst.colour)
        pen.text((x + 2, top_edge + 1), inst.label, fill=(0, 0, 0))
    return np.asarray(image)


def draw_results(frame: np.ndarray, results: Mapping[Hashable, TrackResult], order: Mapping[Hashable, int]) -> np.ndarray:
    """Tracking overlay: masks and thick boxes of present objects, thin boxes at absent ones' last guess.

    `order` maps object ids to colour indices so colours stay stable over the video.
    """
    instances = [
        Instance(
            r.box,
            r.mask if r.present else None,
            f"{obj_id} {r.score:.2f}" + ("" if r.present else " absent"),
            colour_of(order[obj_id]),
            r.present,
        )
        for obj_id, r in results.items()
    ]
    return draw_instances(frame, instances)
