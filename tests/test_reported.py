"""Scores as users receive them: AO every box and as reported, the present flag's TPR / TNR, the confidence's AUC."""

import math

import numpy as np
import pytest

from dettrack.eval.reported import TrackFrames, roc_auc, score_as_reported, score_table

NAN4 = [math.nan] * 4


def _track():
    """Six frames of a 100 x 100 image: init, right (present), right (called absent), wrong, absent (called absent), absent (called present)."""
    gt = [[10, 10, 20, 20]] * 4 + [NAN4, NAN4]
    boxes = [[10, 10, 20, 20], [10, 10, 20, 20], [12, 10, 20, 20], [50, 50, 20, 20], [0, 0, 5, 5], [60, 60, 10, 10]]
    present = [True, True, False, True, False, True]
    scores = [1.0, 0.9, 0.3, 0.6, 0.1, 0.7]
    gt_present = [True] * 4 + [False] * 2
    return TrackFrames.build(boxes, present, scores, gt, gt_present, (100, 100))


def test_every_box_against_as_reported():
    s = score_as_reported([_track()])
    shifted = (18 * 20) / (2 * 400 - 18 * 20)  # the box moved 2 px: IoU 360 / 440
    assert s.frames == 3 and s.absent_frames == 2
    assert s.ao_every == pytest.approx((1 + shifted + 0) / 3)
    assert s.ao_reported == pytest.approx((1 + 0 + 0) / 3)  # the right box called absent gives nothing
    assert s.presence_cost == pytest.approx(shifted / 3)
    assert s.sr50_every == pytest.approx(2 / 3) and s.sr50_reported == pytest.approx(1 / 3)
    assert s.tpr == pytest.approx(1 / 3) and s.tnr == pytest.approx(1 / 2)
    assert s.gm == pytest.approx(math.sqrt(1 / 6))
    # called present: the init-free frames 1, 3 and 5 (IoU 1, 0 and out of view)
    assert s.precision == pytest.approx(1 / 3)
    assert s.f_score == pytest.approx(2 * (1 / 3) * (1 / 3) / (2 / 3))
    # right frames score 0.9 and 0.3; the wrong one 0.6; the absent ones 0.1 and 0.7
    assert s.auc_right_wrong == pytest.approx(0.5)
    assert s.auc_right_absent == pytest.approx(0.75)


def test_a_set_without_absent_frames_has_no_tnr():
    track = TrackFrames.build([[0, 0, 10, 10]] * 3, [True] * 3, [1, 1, 1], [[0, 0, 10, 10]] * 3, [True] * 3, (50, 50))
    s = score_as_reported([track])
    assert s.ao_reported == s.ao_every == 1.0
    assert math.isnan(s.tnr) and math.isnan(s.gm) and math.isnan(s.auc_right_wrong)
    assert "| - |" in score_table({"t": s})


def test_roc_auc_is_the_pairwise_rank_probability():
    rng = np.random.default_rng(0)
    pos, neg = rng.integers(0, 5, 40).astype(float), rng.integers(0, 5, 30).astype(float)  # many ties
    pairs = (pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean()
    assert roc_auc(pos, neg) == pytest.approx(pairs)
    assert roc_auc([2.0, 3.0], [1.0]) == 1.0 and roc_auc([1.0], [2.0, 3.0]) == 0.0
    assert math.isnan(roc_auc([], [1.0]))


def test_bad_input_names_the_sequence():
    with pytest.raises(ValueError, match="clip7"):
        TrackFrames.build([[0, 0, 1, 1]] * 2, [True] * 3, [1, 1, 1], [[0, 0, 1, 1]] * 3, [True] * 3, (5, 5), name="clip7")
    with pytest.raises(ValueError, match="no frame to score"):
        TrackFrames.build([[0, 0, 1, 1]], [True], [1], [[0, 0, 1, 1]], [True], (5, 5))
