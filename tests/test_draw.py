"""Overlays: the drawing scales with the frame, so labels stay readable on large frames."""

import numpy as np

from dettrack.types import TrackResult
from dettrack.video import draw_results
from dettrack.video.draw import Instance, draw_instances, mask_extent

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


def test_a_present_objects_label_is_drawn_over_an_absent_ones():
    """Two tracks on one object (the younger absent): the present one's label stays readable whatever their order."""
    frame = np.zeros((120, 160, 3), np.uint8)
    box = (40.0, 60.0, 50.0, 30.0)
    for ids in ((0, 1), (1, 0)):
        results = {i: TrackResult(box, 0.8 if i == 0 else 0.2, i == 0, None) for i in ids}
        drawn = draw_results(frame, results, {0: 0, 1: 1})
        assert (drawn[50:58, 40] == COLOUR).all()  # object 0's label colour in the label's left margin


def test_masks_are_blended_in_their_extent_only():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    ys, xs = np.mgrid[:120, :160]
    mask = ((ys - 40) ** 2 + (xs - 50) ** 2 < 15**2) | ((ys > 90) & (ys < 100) & (xs > 130) & (xs < 150))  # a disc and a far blob
    assert mask_extent(mask) == (slice(26, 100), slice(36, 150))
    assert mask_extent(np.zeros_like(mask)) is None
    drawn = draw_instances(frame, [Instance((0, 0, 5, 5), mask, "", COLOUR)], alpha=0.45)
    expected = np.rint(frame[mask].astype(np.float32) * 0.55 + np.array(COLOUR, np.float32) * 0.45).astype(np.uint8)
    assert (drawn[mask] == expected).all()  # the whole-frame blend, pixel for pixel
    untouched = ~mask
    untouched[:30, :30] = False  # the box and its label, drawn in the corner
    assert (drawn[untouched] == frame[untouched]).all()
