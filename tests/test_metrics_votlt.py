"""VOT long-term precision / recall / F: hand-computed cases, bad input, parity with vot-toolkit."""

import math

import numpy as np
import pytest

from dettrack.eval.metrics import vot_lt_overlaps, vot_lt_scores, vot_lt_sequence_curves, vot_lt_thresholds


def test_overlaps_are_pixel_counts_bounded_to_the_image():
    gt = [[0, 0, 10, 10], [0, 0, 10, 10], [np.nan] * 4, [np.nan] * 4, [95, 0, 10, 10]]
    pred = [
        [5, 0, 10, 10],  # 50 shared of 150 pixels
        [0.4, 0, 9.6, 10],  # rounds to (0, 0, 10, 10)
        [0, 0, 10, 10],  # a box while the target is absent
        [np.nan] * 4,  # nothing reported while absent: two empty regions are identical
        [95, 0, 20, 10],  # both cut at x = 99 by the 100-px image: identical
    ]
    np.testing.assert_allclose(vot_lt_overlaps(pred, gt, (100, 50)), [1 / 3, 1.0, 0.0, 1.0, 1.0])


def test_thresholds_with_few_and_many_confidences():
    np.testing.assert_array_equal(vot_lt_thresholds([[0.2, 0.9], [0.5]]), [math.inf, 0.9, 0.5, 0.2, -math.inf])
    many = np.arange(300, dtype=float)  # 300 > 98: delta = 3, indices round(linspace(3, 297, 98)), descending
    thresholds = vot_lt_thresholds([many])
    assert len(thresholds) == 100 and thresholds[0] == math.inf and thresholds[-1] == -math.inf
    assert thresholds[1] == 296.0 and thresholds[-2] == 2.0


def test_hand_computed_precision_recall_f():
    overlaps = [0.8, 0.6, 0.0, 0.0]
    confidence = [0.9, 0.5, 0.7, np.nan]  # the missing confidence counts as 0
    visible = [True, True, True, False]
    thresholds = vot_lt_thresholds([confidence])
    np.testing.assert_array_equal(thresholds, [math.inf, 0.9, 0.7, 0.5, 0.0, -math.inf])
    precision, recall = vot_lt_sequence_curves(overlaps, confidence, visible, thresholds)
    np.testing.assert_allclose(precision, [1.0, 0.8, 0.4, 1.4 / 3, 0.35, 0.35])
    np.testing.assert_allclose(recall, [0.0, 0.8 / 3, 0.8 / 3, 1.4 / 3, 1.4 / 3, 1.4 / 3])
    scores = vot_lt_scores({"s": (overlaps, confidence, visible)})
    assert scores.threshold == 0.5
    assert scores.precision == pytest.approx(1.4 / 3) and scores.recall == pytest.approx(1.4 / 3)
    assert scores.f_score == pytest.approx(1.4 / 3)


def test_curves_are_averaged_over_sequences():
    scores = vot_lt_scores({"a": ([1.0, 1.0], [1.0, 1.0], [True, True]), "b": ([0.0, 0.5], [1.0, 1.0], [True, True])})
    # At threshold 1: a has P = R = 1, b has P = R = 0.25 -> averages 0.625.
    assert scores.precision == pytest.approx(0.625) and scores.recall == pytest.approx(0.625)
    assert scores.f_score == pytest.approx(0.625)


@pytest.mark.parametrize(
    "overlaps, confidence, visible, message",
    [
        ([0.5, 0.5], [1.0], [True, True], "in sequence 'q' must have one entry per frame"),
        ([0.5, np.nan], [1.0, 1.0], [True, True], "overlaps in sequence 'q' must be a 1-D array of values in"),
        ([0.5, 1.5], [1.0, 1.0], [True, True], "values in \\[0, 1\\]"),
        ([0.5, 0.5], [1.0, np.inf], [True, True], "confidences in sequence 'q' must be finite"),
        ([0.0, 0.0], [1.0, 1.0], [False, False], "'q' has no frame where the target is visible"),
    ],
)
def test_bad_input_names_the_problem(overlaps, confidence, visible, message):
    with pytest.raises(ValueError, match=message):
        vot_lt_scores({"q": (overlaps, confidence, visible)})


def test_bad_boxes_name_the_sequence():
    with pytest.raises(ValueError, match="predictions in sequence 'car' have 1 rows but the ground truth has 2"):
        vot_lt_overlaps([[0, 0, 1, 1]], [[0, 0, 1, 1]] * 2, (10, 10), name="car")
    with pytest.raises(ValueError, match="'car' has a negative width or height at frame 0"):
        vot_lt_overlaps([[0, 0, -1, 1]], [[0, 0, 1, 1]], (10, 10), name="car")


def _vot():
    """vot-toolkit's long-term analysis and region code, or skip when it is not installed or does not import."""
    try:
        pytest.importorskip("vot")
    except TypeError as error:  # attributee 0.1.10 breaks vot's import on Python >= 3.11; 0.1.9 works
        pytest.skip(f"vot-toolkit does not import: {error}")
    from vot.analysis import longterm
    from vot.region import Rectangle, Special, calculate_overlaps

    return longterm, Rectangle, Special, calculate_overlaps


class _Sequence:
    """What vot's compute_tpr_curves reads from a sequence."""

    def __init__(self, groundtruth, size):
        self._groundtruth, self.size = groundtruth, size

    def groundtruth(self):
        return self._groundtruth


def _random_sequence(rng, n, width, height):
    gt = np.column_stack([rng.uniform(-30, width, n), rng.uniform(-30, height, n), rng.uniform(3, 150, (n, 2))])
    gt[rng.random(n) < 0.15] = np.nan
    pred = np.nan_to_num(gt, nan=50.0) + rng.normal(0, 12, gt.shape)
    pred[:, 2:] = np.abs(pred[:, 2:]) + 3
    pred[rng.random(n) < 0.1] = np.nan
    confidence = np.round(rng.random(n), 2)  # rounding makes ties
    return np.round(pred, 3), np.round(gt, 3), confidence


def _regions(boxes, rectangle, special):
    return [special(0) if np.isnan(b).any() else rectangle(*b) for b in boxes]


@pytest.mark.parametrize("lengths", [(20, 30, 25), (150, 260, 90, 200)])
def test_parity_with_vot_toolkit(lengths):
    longterm, rectangle, special, calculate_overlaps = _vot()
    rng = np.random.default_rng(sum(lengths))
    ours, official = {}, []
    for k, n in enumerate(lengths):
        width, height = int(rng.integers(200, 700)), int(rng.integers(150, 500))
        pred, gt, confidence = _random_sequence(rng, n, width, height)
        pred_regions, gt_regions = _regions(pred, rectangle, special), _regions(gt, rectangle, special)
        overlaps = vot_lt_overlaps(pred, gt, (width, height), name=f"seq{k}")
        np.testing.assert_allclose(overlaps, calculate_overlaps(pred_regions, gt_regions, (width, height)), atol=1e-12)
        ours[f"seq{k}"] = (overlaps, confidence, ~np.isnan(gt).any(axis=1))
        official.append((pred_regions, list(confidence), _Sequence(gt_regions, (width, height))))

    thresholds = longterm.determine_thresholds(np.concatenate([c for _, c, _ in ours.values()]), 100)
    np.testing.assert_array_equal(vot_lt_thresholds([c for _, c, _ in ours.values()]), thresholds)
    partials = []
    for (name, seq), (regions, confidence, sequence) in zip(ours.items(), official):
        precision, recall = longterm.compute_tpr_curves(regions, confidence, sequence, thresholds)
        ours_p, ours_r = vot_lt_sequence_curves(*seq, thresholds, name)
        np.testing.assert_allclose(ours_p, precision, atol=1e-9)
        np.testing.assert_allclose(ours_r, recall, atol=1e-9)
        partials.append((list(zip(precision, recall)), thresholds))

    with np.errstate(invalid="ignore"):  # the toolkit divides 0 by 0 where P = R = 0
        curve = longterm.PrecisionRecallCurve().aggregate(None, None, partials)
        f_curve = longterm.FScoreCurve().compute(None, [None], None, [[curve]])[0, 0]
    precision, recall, f_score = longterm.PrecisionRecall().compute(None, [None], None, [[curve], [f_curve]])[0, 0]
    scores = vot_lt_scores(ours)
    assert scores.precision == pytest.approx(precision, abs=1e-9)
    assert scores.recall == pytest.approx(recall, abs=1e-9)
    assert scores.f_score == pytest.approx(f_score, abs=1e-9)
