"""DAVIS J / F metrics: hand-computed cases, the dilation against OpenCV, real DAVIS masks, bad input."""

import numpy as np
import pytest
from PIL import Image

from dettrack.eval.metrics import (
    davis_boundary,
    davis_f,
    davis_j,
    davis_scores,
    davis_statistics,
    dilate_disk,
)

from conftest import shared_path


def test_boundary_map_by_hand():
    mask = np.zeros((4, 4), dtype=bool)
    mask[1:3, 1:3] = True
    expected = np.array([[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(davis_boundary(mask), expected)


def test_boundary_of_the_last_row_and_column():
    mask = np.zeros((3, 3), dtype=bool)
    mask[2, 1:] = True  # touches the bottom-right corner
    mask[0:2, 2] = True
    expected = np.array([[0, 1, 0], [1, 1, 0], [1, 0, 0]], dtype=bool)  # (1, 0) differs from its lower-right
    np.testing.assert_array_equal(davis_boundary(mask), expected)


def _disk_dilation_by_definition(mask, radius):
    out = np.zeros_like(mask)
    height, width = mask.shape
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx * dx + dy * dy <= radius * radius:
                shifted = np.zeros_like(mask)
                shifted[max(0, -dy) : height - max(0, dy), max(0, -dx) : width - max(0, dx)] = mask[
                    max(0, dy) : height - max(0, -dy), max(0, dx) : width - max(0, -dx)
                ]
                out |= shifted
    return out


@pytest.mark.parametrize("radius", [0, 1, 2, 5])
def test_dilation_matches_its_definition(radius):
    mask = np.random.default_rng(radius).random((23, 31)) > 0.97
    np.testing.assert_array_equal(dilate_disk(mask, radius), _disk_dilation_by_definition(mask, radius))


def test_region_similarity_by_hand():
    gt = np.zeros((2, 4, 4), dtype=bool)
    pred = np.zeros_like(gt)
    gt[0, :2], pred[0, :1] = True, True  # 4 of 8 pixels
    np.testing.assert_allclose(davis_j(gt, pred), [0.5, 1.0])  # frame 1: both empty
    void = np.zeros_like(gt)
    void[0, 1] = True  # ignore the row the prediction misses
    np.testing.assert_allclose(davis_j(gt, pred, void), [1.0, 1.0])


def test_boundary_f_by_hand():
    def stripe(top, bottom):
        mask = np.zeros((100, 100), dtype=bool)  # radius ceil(0.008 * 141.4) = 2
        mask[top : bottom + 1] = True
        return mask

    gt = stripe(40, 59)  # boundary rows 39 and 59
    cases = [
        (stripe(40, 59), 1.0),
        (stripe(42, 59), 1.0),  # boundary rows 41 and 59: within 2 px
        (stripe(45, 59), 0.5),  # rows 44 (5 px off) and 59: P = R = 1/2
        (stripe(50, 69), 0.0),
        (np.zeros((100, 100), dtype=bool), 0.0),  # empty prediction
    ]
    for pred, expected in cases:
        assert davis_f(gt, pred)[0] == pytest.approx(expected)
    empty = np.zeros((100, 100), dtype=bool)
    assert davis_f(empty, empty)[0] == 1.0
    assert davis_f(empty, gt)[0] == 0.0


def test_tolerance_in_pixels():
    mask = np.zeros((100, 100), dtype=bool)
    mask[40:60] = True
    shifted = np.roll(mask, 4, axis=0)
    assert davis_f(mask, shifted, tolerance=4)[0] == 1.0
    assert davis_f(mask, shifted, tolerance=3)[0] == 0.0
    with pytest.raises(ValueError, match="whole number"):
        davis_f(mask, shifted, tolerance=2.5)


def test_statistics_by_hand():
    x = np.array([0.9, 0.9, 0.9, 0.9, 0.5, 0.2, 0.1, 0.0])
    stats = davis_statistics(x)
    assert stats.mean == pytest.approx(np.mean(x))
    assert stats.recall == pytest.approx(4 / 8)  # 0.5 is not > 0.5
    # ids = round(linspace(1, 8, 5) + 1e-10) - 1 = [0, 2, 4, 5, 7]: bin 0 = x[0:3], bin 3 = x[5:8]
    assert stats.decay == pytest.approx(0.9 - 0.1)
    assert davis_statistics([0.7]).decay == 0.0
    assert davis_statistics([0.2, np.nan, 0.4]).mean == pytest.approx(0.3)


def test_scores_drop_first_and_last_frames_and_average_objects():
    gt = np.zeros((2, 6, 20, 20), dtype=bool)
    gt[0, :, 2:10, 2:10] = True
    gt[1, :, 12:18, 12:18] = True
    pred = gt.copy()
    pred[:, 0] = ~pred[:, 0]  # first and last frames are wrong but not scored
    pred[:, -1] = False
    pred[1, 1:5, 12:18, 12:15] = False  # object 2: half of it on every scored frame
    scores = davis_scores({"seq": (gt, pred)})
    assert scores.j["seq_1"].mean == 1.0 and scores.j["seq_2"].mean == pytest.approx(0.5)
    assert scores.j["seq_2"].recall == 0.0 and scores.j["seq_2"].decay == 0.0
    assert scores.j_mean == pytest.approx(0.75) and scores.j_recall == pytest.approx(0.5)
    assert scores.f["seq_1"].mean == 1.0
    assert scores.jf_mean == pytest.approx((scores.j_mean + scores.f_mean) / 2)


def _davis_masks(sequence, frames):
    folder = shared_path("data", "davis2016", "Annotations", "480p", sequence)
    return np.stack([np.asarray(Image.open(folder / f"{i:05d}.png").convert("L")) > 127 for i in frames])


def test_real_masks_against_opencv_dilation():
    cv2 = pytest.importorskip("cv2")
    mask = _davis_masks("blackswan", [0])[0]
    boundary = davis_boundary(mask)
    radius = 8  # ceil(0.008 * hypot(480, 854))
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    disk = (xx**2 + yy**2 <= radius**2).astype(np.uint8)
    expected = cv2.dilate(boundary.astype(np.uint8), disk).astype(bool)
    np.testing.assert_array_equal(dilate_disk(boundary, radius), expected)


def test_real_masks_score_perfectly_against_themselves_and_drop_when_shifted():
    gt = _davis_masks("blackswan", range(8))[None]
    perfect = davis_scores({"blackswan": (gt, gt)})
    assert perfect.j_mean == perfect.f_mean == perfect.jf_mean == 1.0
    shifted = np.roll(gt, 20, axis=3)
    worse = davis_scores({"blackswan": (gt, shifted)})
    assert 0.3 < worse.j_mean < 1.0 and 0.0 < worse.f_mean < 1.0
    slightly = davis_scores({"blackswan": (gt, np.roll(gt, 2, axis=3))})
    assert slightly.f_mean > worse.f_mean and slightly.f_mean > 0.95  # 2 px is within the 8 px tolerance


@pytest.mark.parametrize(
    "gt_shape, pred_shape, message",
    [
        ((1, 4, 10, 10), (1, 4, 10, 12), r"'cows' must be \(objects, T, H, W\) and equal in shape"),
        ((1, 4, 10, 10), (2, 4, 10, 10), "prediction \\(2, 4, 10, 10\\)"),
        ((4, 10, 10), (4, 10, 10), r"'cows' must be \(objects, T, H, W\)"),
        ((1, 2, 10, 10), (1, 2, 10, 10), "'cows' needs at least one object and three frames"),
    ],
)
def test_bad_masks_name_the_sequence(gt_shape, pred_shape, message):
    with pytest.raises(ValueError, match=message):
        davis_scores({"cows": (np.zeros(gt_shape, bool), np.zeros(pred_shape, bool))})


def test_bad_per_frame_inputs():
    with pytest.raises(ValueError, match="'dog' must be \\(T, H, W\\) or \\(H, W\\) and equal in shape"):
        davis_j(np.zeros((10, 10)), np.zeros((10, 11)), name="dog")
    with pytest.raises(ValueError, match="void mask in sequence 'dog' has shape"):
        davis_f(np.zeros((10, 10)), np.zeros((10, 10)), void=np.zeros((9, 10)), name="dog")
    with pytest.raises(ValueError, match="non-empty 1-D"):
        davis_statistics([])
