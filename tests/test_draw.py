"""Overlays: the drawing scales with the frame, so labels stay readable on large frames."""

import numpy as np

from dettrack.types import TrackResult
from dettrack.video import draw_results

COLOUR = (230, 25, 75)  # object 0's colour


def _label_height(height: int, width: int) -> int:
    """Rows of the filled label above a present object's box, drawn on a black frame."""
    frame = np.zeros((height, width, 3), np.uint8)
    box = (width / 4, height / 2, width / 4, height / 4)
    drawn = draw_results(frame, {"car": TrackResult(box, 0.93, True, None)}, {"car": 0})
    above = drawn[: int(box[1]) - 4, int(box[0]) : int(box[0] + box[2])]
    return int((above == COLOUR).all(axis=-1).any(axis=1).sum())


def test_labels_scale_with_the_frame():
    small, large = _label_height(240, 320), _label_height(720, 1280)
    assert 8 <= small <= 20 and large >= 2 * small and large >= 24


def test_masks_are_tinted_and_absent_objects_get_a_thin_box():
    frame = np.full((100, 120, 3), 200, np.uint8)
    mask = np.zeros((100, 120), bool)
    mask[40:60, 40:60] = True
    drawn = draw_results(frame, {0: TrackResult((30, 30, 40, 40), 0.9, True, mask), 1: TrackResult((80, 70, 30, 20), 0.1, False, mask)}, {0: 0, 1: 1})
    assert (drawn[50, 50] != 200).any() and (drawn[50, 50] == drawn[45, 45]).all()  # tinted inside the mask
    assert (drawn[80, 100] == 200).all()  # the absent object's mask is not drawn
    assert (drawn[90, 80:110] != 200).any(axis=-1).all() and (drawn[91, 80:110] == 200).all()  # its box edge is, one pixel wide
