"""Overlays: boxes, translucent masks, ids and scores drawn on a frame."""

from typing import Hashable, Mapping

import numpy as np
from PIL import Image, ImageDraw

from ..tracking.tracker import TrackResult

_COLOURS = np.array(
    [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
     (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190), (0, 128, 128), (170, 110, 40)],
    dtype=np.uint8,
)


def colour_of(index: int) -> tuple[int, int, int]:
    return tuple(int(c) for c in _COLOURS[index % len(_COLOURS)])


def draw_results(frame: np.ndarray, results: Mapping[Hashable, TrackResult], order: Mapping[Hashable, int], alpha: float = 0.45) -> np.ndarray:
    """A copy of `frame` with each present object's mask tinted and its box, id and score drawn.

    Absent objects get a dashed-looking thin box at their last guess and no mask.
    `order` maps object ids to colour indices so colours stay stable over the video.
    """
    canvas = frame.astype(np.float32)
    for obj_id, result in results.items():
        if result.present and result.mask is not None:
            colour = np.array(colour_of(order[obj_id]), np.float32)
            canvas[result.mask] = canvas[result.mask] * (1 - alpha) + colour * alpha
    image = Image.fromarray(canvas.clip(0, 255).astype(np.uint8))
    pen = ImageDraw.Draw(image)
    for obj_id, result in results.items():
        x, y, w, h = result.box
        colour = colour_of(order[obj_id])
        width = 3 if result.present else 1
        pen.rectangle([x, y, x + w, y + h], outline=colour, width=width)
        label = f"{obj_id} {result.score:.2f}" + ("" if result.present else " absent")
        text_box = pen.textbbox((x, y), label)
        top = max(0, y - (text_box[3] - text_box[1]) - 4)
        pen.rectangle([x, top, x + text_box[2] - text_box[0] + 4, top + text_box[3] - text_box[1] + 4], fill=colour)
        pen.text((x + 2, top + 1), label, fill=(0, 0, 0))
    return np.asarray(image)
