"""Overlays: the drawing scales with the frame, so labels stay readable on large frames."""

import numpy as np

from dettrack.types import TrackResult
from dettrack.video import draw_results
from dettrack.video.draw import Instance, colour_of, draw_instances, mask_extent

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


def test_labels_of_boxes_past_the_frame_edges_stay_whole_inside_it():
    frame = np.zeros((120, 160, 3), np.uint8)
    inside = draw_results(frame, {0: TrackResult((50.0, 60.0, 40.0, 30.0), 0.8, True, None)}, {0: 0})
    width = int((inside[55] == COLOUR).all(axis=-1).sum())  # the label's filled width, one row above the box
    for x, edge in ((-30.0, 0), (150.0, 159)):  # a box reaching past the left edge, one past the right
        drawn = draw_results(frame, {0: TrackResult((x, 60.0, 40.0, 30.0), 0.8, True, None)}, {0: 0})
        filled = np.flatnonzero((drawn[55] == COLOUR).all(axis=-1))
        assert len(filled) == width and edge in (filled[0], filled[-1])  # whole, against the edge


def _label_rows(drawn: np.ndarray, column: int, colour: tuple[int, int, int]) -> set[int]:
    """The longest run of rows whose pixel in `column` (a label's left margin, no text there) is `colour`."""
    rows = np.flatnonzero((drawn[:, column] == colour).all(axis=-1))
    runs = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    return set(max(runs, key=len).tolist())


def test_labels_of_objects_side_by_side_do_not_cover_each_other():
    frame = np.zeros((120, 160, 3), np.uint8)
    results = {i: TrackResult((20.0 + 3 * i, 60.0, 50.0, 40.0), 0.1, False, None) for i in range(3)}  # three absent tracks, one place
    drawn = draw_results(frame, results, {i: i for i in range(3)})
    bands = [_label_rows(drawn, 21 + 3 * i, colour_of(i)) - {60} for i in range(3)]  # row 60: the boxes' top edges
    assert all(len(b) >= 8 for b in bands) and not (bands[0] & bands[1] or bands[0] & bands[2] or bands[1] & bands[2])  # one under another
    present = {0: TrackResult((20.0, 60.0, 50.0, 40.0), 0.9, True, None), 1: TrackResult((20.0, 60.0, 50.0, 40.0), 0.1, False, None)}
    drawn = draw_results(frame, present, {0: 0, 1: 1})
    assert (drawn[50:58, 20] == COLOUR).all()  # the present object's label keeps its own place; the absent one moves


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
