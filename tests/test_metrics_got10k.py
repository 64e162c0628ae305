"""GOT-10k metrics: hand-computed cases, bad input, and parity with the official got10k toolkit."""

import numpy as np
import pytest

from dettrack.eval.metrics import (
    Got10kSequence,
    got10k_average_overlap,
    got10k_scores,
    got10k_sequence_ious,
    got10k_success_curve,
    got10k_success_rate,
)


def test_hand_computed_sequence():
    gt = [[0, 0, 10, 10]] * 4
    pred = [
        [50, 50, 5, 5],  # frame 0: initialisation, never scored
        [0, 0, 10, 10],  # IoU 1
        [5, 0, 10, 10],  # IoU 50 / 150 = 1/3
        [0, 0, 10, 5],  # cover 0: dropped
    ]
    ious = got10k_sequence_ious(pred, gt, cover=[8, 8, 3, 0], resolution=(100, 100))
    np.testing.assert_allclose(ious, [1.0, 1 / 3])
    assert got10k_average_overlap(ious) == pytest.approx(2 / 3)
    assert got10k_success_rate(ious, 0.5) == 0.5
    assert got10k_success_rate([0.5, 0.75, 0.76], 0.5) == pytest.approx(2 / 3)  # strict '>'
    assert got10k_success_rate([0.5, 0.75, 0.76], 0.75) == pytest.approx(1 / 3)


def test_success_curve_thresholds_are_strict():
    curve = got10k_success_curve([0.0, 0.5, 1.0])
    assert curve.shape == (101,)
    assert curve[0] == pytest.approx(2 / 3)  # IoU 0 is not > 0
    assert curve[50] == pytest.approx(1 / 3)  # 0.5 is not > 0.5
    assert curve[100] == 0.0


def test_boxes_are_bounded_to_the_image_the_toolkit_way():
    # x = -10 is clipped to 0 and the width kept (bounded by the image): the box becomes (0, 0, 20, 10).
    gt = [[0, 0, 20, 10]] * 2
    pred = [[0, 0, 1, 1], [-10, 0, 20, 10]]
    assert got10k_sequence_ious(pred, gt, [1, 1], (100, 100))[0] == pytest.approx(1.0)
    # Past the right border: (90, 0, 20, 10) in a 100-wide image becomes (90, 0, 10, 10).
    ious = got10k_sequence_ious([[0, 0, 1, 1], [90, 0, 20, 10]], [[0, 0, 1, 1], [90, 0, 10, 10]], [1, 1], (100, 100))
    assert ious[0] == pytest.approx(1.0)


def test_scores_pool_frames_and_report_sequence_ao():
    gt = [[0, 0, 10, 10]] * 3
    seqs = {
        "a": Got10kSequence([[0, 0, 10, 10]] * 3, gt, [1, 1, 1], (100, 100)),  # two frames of IoU 1
        "b": Got10kSequence([[0, 0, 10, 10]] + [[20, 20, 5, 5]] * 3, gt + [[0, 0, 10, 10]], [1] * 4, (100, 100)),
    }
    scores = got10k_scores(seqs)
    assert scores.sequence_ao == {"a": 1.0, "b": 0.0}
    assert scores.ao == pytest.approx(2 / 5)  # frame-weighted: 2 of 5 scored frames are perfect
    assert scores.sr50 == pytest.approx(2 / 5) and scores.sr75 == pytest.approx(2 / 5)


def test_repeated_runs_are_concatenated():
    gt = [[0, 0, 10, 10]] * 2
    runs = [[[0, 0, 10, 10], [0, 0, 10, 10]], [[0, 0, 10, 10], [5, 0, 10, 10]]]
    np.testing.assert_allclose(got10k_sequence_ious(runs, gt, [1, 1], (50, 50)), [1.0, 1 / 3])


def test_nan_allowed_only_where_nothing_is_scored():
    gt = [[0, 0, 10, 10]] * 3
    pred = [[0, 0, 10, 10], [0, 0, 10, 10], [np.nan] * 4]
    assert got10k_sequence_ious(pred, gt, [1, 1, 0], (50, 50)).tolist() == [1.0]
    with pytest.raises(ValueError, match="'seq7'.*NaN at scored frame 2"):
        got10k_sequence_ious(pred, gt, [1, 1, 1], (50, 50), name="seq7")


@pytest.mark.parametrize(
    "pred, cover, message",
    [
        ([[0, 0, 10, 10]] * 2, [1, 1, 1], "have 2 rows but the ground truth has 3"),
        ([[0, 0, 10, 10]] * 3, [1, 1], "cover labels in sequence 's' must have 3 entries"),
        ([[0, 0, 10, 10], [0, 0, -1, 10], [0, 0, 10, 10]], [1, 1, 1], "negative width or height at frame 1"),
        ([[0, 0, 10]] * 3, [1, 1, 1], r"must have shape \(N, 4\)"),
        ([[0, 0, 10, 10], [0, np.nan, 1, 1], [0, 0, 10, 10]], [1, 1, 1], "NaN at frame 1"),
        ([[0, 0, 10, 10]] * 3, [1, -1, 1], "cover labels in sequence 's' must be >= 0"),
    ],
)
def test_bad_input_names_the_problem(pred, cover, message):
    with pytest.raises(ValueError, match=message):
        got10k_sequence_ious(pred, [[0, 0, 10, 10]] * 3, cover, (50, 50), name="s")


def test_sequence_without_scored_frames_is_an_error():
    seq = Got10kSequence([[0, 0, 1, 1]] * 3, [[0, 0, 1, 1]] * 3, [1, 0, 0], (10, 10))
    with pytest.raises(ValueError, match="'ghost' has no scored frame"):
        got10k_scores({"ghost": seq})


def _random_sequence(rng, n, width, height):
    gt = np.column_stack([rng.uniform(-20, width, n), rng.uniform(-20, height, n), rng.uniform(1, 120, (n, 2))])
    pred = gt + rng.normal(0, 15, gt.shape)
    pred[:, 2:] = np.abs(pred[:, 2:])
    cover = rng.integers(0, 9, n)
    cover[rng.random(n) < 0.2] = 0
    return np.round(pred, 4), np.round(gt, 4), cover


def test_parity_with_official_got10k_toolkit(tmp_path, monkeypatch):
    experiments = pytest.importorskip("got10k.experiments")
    rng = np.random.default_rng(0)
    root, results = tmp_path / "data", tmp_path / "results"
    sequences, names = {}, [f"GOT-10k_Val_{i:06d}" for i in range(1, 6)]
    for k, name in enumerate(names):
        n, width, height = int(rng.integers(20, 60)), int(rng.integers(200, 640)), int(rng.integers(150, 480))
        runs = 3 if k == 0 else 1
        preds = []
        pred, gt, cover = _random_sequence(rng, n, width, height)
        seq_dir = root / "val" / name
        seq_dir.mkdir(parents=True)
        for i in range(n):
            (seq_dir / f"{i + 1:08d}.jpg").touch()
        np.savetxt(seq_dir / "groundtruth.txt", gt, fmt="%.4f", delimiter=",")
        np.savetxt(seq_dir / "cover.label", cover, fmt="%d")
        np.savetxt(seq_dir / "absence.label", (cover == 0).astype(int), fmt="%d")
        np.savetxt(seq_dir / "cut_by_image.label", np.zeros(n), fmt="%d")
        (seq_dir / "meta_info.ini").write_text(f"[METAINFO]\nresolution: ({width}, {height})\n")
        result_dir = results / "GOT-10k" / "ours" / name
        result_dir.mkdir(parents=True)
        for r in range(runs):
            run = pred if r == 0 else np.round(pred + rng.normal(0, 5, pred.shape), 4)
            run[:, 2:] = np.abs(run[:, 2:])
            preds.append(run)
            np.savetxt(result_dir / f"{name}_{r + 1:03d}.txt", run, fmt="%.4f", delimiter=",")
        np.savetxt(result_dir / f"{name}_time.txt", rng.uniform(0.01, 0.1, n), fmt="%.5f")
        sequences[name] = Got10kSequence(np.stack(preds), gt, cover, (width, height))
    (root / "val" / "list.txt").write_text("\n".join(names))

    monkeypatch.setattr(experiments.ExperimentGOT10k, "plot_curves", lambda self, *a, **k: None)
    experiment = experiments.ExperimentGOT10k(
        str(root), subset="val", result_dir=str(results), report_dir=str(tmp_path / "reports")
    )
    official = experiment.report(["ours"])["ours"]
    ours = got10k_scores(sequences)

    assert ours.ao == pytest.approx(official["overall"]["ao"], abs=1e-6)
    assert ours.sr50 == pytest.approx(official["overall"]["sr"], abs=1e-6)
    np.testing.assert_allclose(ours.success_curve, official["overall"]["succ_curve"], atol=1e-6)
    for name in names:
        assert ours.sequence_ao[name] == pytest.approx(official["seq_wise"][name]["ao"], abs=1e-6)
    # SR0.75 is not in the val report; check it against the toolkit's own IoUs.
    metrics = pytest.importorskip("got10k.utils.metrics")
    official_ious = []
    for seq in sequences.values():
        keep = np.asarray(seq.cover)[1:] > 0
        for run in seq.pred:
            ious = metrics.rect_iou(run[1:].copy(), np.asarray(seq.gt)[1:].copy(), bound=seq.resolution)
            official_ious.append(ious[keep])
    assert ours.sr75 == pytest.approx(np.mean(np.concatenate(official_ious) > 0.75), abs=1e-6)
