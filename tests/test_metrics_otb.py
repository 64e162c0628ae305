"""OTB / LaSOT metrics: hand-computed cases, bad input, and parity with the got10k toolkit's OTB experiment."""

import numpy as np
import pytest

from dettrack.eval.metrics import (
    lasot_normalised_precision_curve,
    lasot_scores,
    otb_precision_curve,
    otb_scores,
    otb_success_curve,
)


def test_hand_computed_success_and_precision():
    gt = [[10, 10, 20, 20]] * 3
    pred = [
        [0, 0, 1, 1],  # replaced by the ground truth: IoU 1, error 0
        [20, 10, 20, 20],  # IoU 200 / 600 = 1/3, centre error 10 px
        [40, 10, 20, 20],  # IoU 0, centre error 30 px
    ]
    success = otb_success_curve(pred, gt)
    assert success.shape == (21,)
    assert success[0] == pytest.approx(2 / 3)  # IoU 0 is not > 0
    assert success[6] == pytest.approx(2 / 3)  # t = 0.30 < 1/3
    assert success[7] == pytest.approx(1 / 3)  # t = 0.35 > 1/3
    assert success[20] == 0.0  # IoU 1 is not > 1
    precision = otb_precision_curve(pred, gt)
    assert precision.shape == (51,)
    assert precision[9] == pytest.approx(1 / 3)
    assert precision[10] == pytest.approx(2 / 3)  # <= is inclusive
    assert precision[30] == 1.0
    scores = otb_scores({"s": (pred, gt)})
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.success_auc == pytest.approx(np.mean(success))


def test_centres_use_the_one_based_pixel_convention():
    # Same box, different size: centres x + (w - 1) / 2 are 14.5 and 19.5 -> error 5 in x and y.
    curve = otb_precision_curve([[0, 0, 1, 1], [10, 10, 10, 10]], [[0, 0, 1, 1], [10, 10, 20, 20]])
    err = np.hypot(5, 5)
    assert curve[int(np.floor(err))] == 0.5 and curve[int(np.ceil(err))] == 1.0


def test_lasot_normalised_precision_and_absent_frames():
    gt = [[0, 0, 100, 50]] * 4
    pred = [
        [0, 0, 100, 50],
        [10, 5, 100, 50],  # offsets (10, 5) / (100, 50) -> sqrt(0.01 + 0.01) = 0.1414
        [60, 0, 100, 50],  # 0.6: above every threshold
        [500, 500, 10, 10],  # flagged absent: ignored
    ]
    absent = [False, False, False, True]
    curve = lasot_normalised_precision_curve(pred, gt, absent)
    assert curve.shape == (51,)
    assert curve[14] == pytest.approx(1 / 3)  # t = 0.14 < 0.1414
    assert curve[15] == pytest.approx(2 / 3)  # t = 0.15
    assert curve[50] == pytest.approx(2 / 3)
    success = otb_success_curve(pred, gt, absent)  # IoUs 1, 4050 / 5950 and 2000 / 8000
    assert success[4] == 1.0 and success[5] == pytest.approx(2 / 3)  # 0.25 is not > 0.25
    scores = lasot_scores({"s": (pred, gt, absent)})
    assert scores.normalised_precision == pytest.approx(np.mean(curve))


def test_normalisation_uses_at_least_one_pixel():
    curve = lasot_normalised_precision_curve([[0, 0, 1, 1], [0.3, 0, 0.5, 0.5]], [[0, 0, 1, 1], [0, 0, 0.5, 0.5]])
    assert curve[29] == 0.5 and curve[30] == 1.0  # 0.3 px offset / max(0.5, 1) = 0.3


def test_scores_average_sequences_not_frames():
    gt = [[0, 0, 10, 10]] * 5
    perfect = ([[0, 0, 10, 10]] * 5, gt)
    lost_all_but_init = ([[0, 0, 10, 10]] + [[100, 100, 10, 10]] * 1, gt[:2])
    scores = otb_scores({"a": perfect, "b": lost_all_but_init})
    assert scores.success_curve[10] == pytest.approx((1.0 + 0.5) / 2)


def test_gt_nan_allowed_only_on_absent_frames():
    gt = [[0, 0, 10, 10], [np.nan] * 4, [0, 0, 10, 10]]
    pred = [[0, 0, 10, 10]] * 3
    assert otb_success_curve(pred, gt, [0, 1, 0])[0] == 1.0
    with pytest.raises(ValueError, match="'x'.*NaN at scored frame 1"):
        otb_success_curve(pred, gt, [0, 0, 0], name="x")
    with pytest.raises(ValueError, match="ground truth in sequence 'x' has NaN at frame 1"):
        otb_success_curve(pred, gt, name="x")


@pytest.mark.parametrize(
    "pred, message",
    [
        ([[0, 0, 10, 10]] * 2, "'bolt' have 2 rows but the ground truth has 3"),
        ([[0, 0, 10, 10], [0, 0, 10, -2], [0, 0, 10, 10]], "'bolt' has a negative width or height at frame 1"),
        ([[0, 0, 10, 10], [0, 0, 10, np.inf], [0, 0, 10, 10]], "'bolt' has an infinite value at frame 1"),
        (np.zeros((3, 5)), r"'bolt' must have shape \(N, 4\)"),
    ],
)
def test_bad_input_names_the_problem(pred, message):
    with pytest.raises(ValueError, match=message):
        otb_scores({"bolt": (pred, [[0, 0, 10, 10]] * 3)})


def test_all_frames_absent_is_an_error():
    with pytest.raises(ValueError, match="'gone' has no scored frame"):
        lasot_scores({"gone": ([[0, 0, 1, 1]] * 2, [[0, 0, 1, 1]] * 2, [True, True])})


class _Dataset:
    """The minimal dataset interface ExperimentOTB.report iterates over."""

    def __init__(self, annos):
        self.seq_names = list(annos)
        self._annos = list(annos.values())

    def __len__(self):
        return len(self._annos)

    def __iter__(self):
        return iter([([], anno) for anno in self._annos])


def _random_boxes(rng, n):
    gt = np.column_stack([rng.uniform(0, 600, (n, 2)), rng.uniform(5, 150, (n, 2))])
    pred = gt + rng.normal(0, 12, gt.shape)
    pred[:, 2:] = np.abs(pred[:, 2:])
    return np.round(pred, 4), np.round(gt, 4)


def test_parity_with_official_otb_experiment(tmp_path, monkeypatch):
    experiments = pytest.importorskip("got10k.experiments")
    rng = np.random.default_rng(1)
    sequences = {f"Seq{i}": _random_boxes(rng, int(rng.integers(30, 90))) for i in range(6)}
    result_dir = tmp_path / "results" / "ours"
    result_dir.mkdir(parents=True)
    for name, (pred, _) in sequences.items():
        np.savetxt(result_dir / f"{name}.txt", pred, fmt="%.4f", delimiter=",")
    experiment = experiments.ExperimentOTB.__new__(experiments.ExperimentOTB)
    experiment.dataset = _Dataset({name: gt for name, (_, gt) in sequences.items()})
    experiment.result_dir, experiment.report_dir = str(tmp_path / "results"), str(tmp_path / "reports")
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    monkeypatch.setattr(experiment, "plot_curves", lambda *a, **k: None)
    official = experiment.report(["ours"])["ours"]

    ours = otb_scores(sequences)
    assert ours.success_auc == pytest.approx(official["overall"]["success_score"], abs=1e-6)
    assert ours.precision == pytest.approx(official["overall"]["precision_score"], abs=1e-6)
    np.testing.assert_allclose(ours.success_curve, official["overall"]["success_curve"], atol=1e-6)
    np.testing.assert_allclose(ours.precision_curve, official["overall"]["precision_curve"], atol=1e-6)
    for name, (pred, gt) in sequences.items():
        seq = official["seq_wise"][name]
        np.testing.assert_allclose(otb_success_curve(pred, gt), seq["success_curve"], atol=1e-6)
        np.testing.assert_allclose(otb_precision_curve(pred, gt), seq["precision_curve"], atol=1e-6)


def test_parity_with_official_box_metrics():
    metrics = pytest.importorskip("got10k.utils.metrics")
    from dettrack.eval.metrics.overlap import centre_error, iou_xywh

    rng = np.random.default_rng(2)
    pred, gt = _random_boxes(rng, 500)
    np.testing.assert_allclose(iou_xywh(pred, gt), metrics.rect_iou(pred.copy(), gt.copy()), atol=1e-6)
    np.testing.assert_allclose(centre_error(pred, gt), metrics.center_error(pred, gt), atol=1e-9)
