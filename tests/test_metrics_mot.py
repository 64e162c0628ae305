"""Multi-object scores (dettrack.eval.mot): figures worked out by hand, and TrackEval's own where it is installed."""

import math

import numpy as np
import pytest

from dettrack.eval.mot import mot_scores

TRUTH = [{1: (0, 0, 10, 10), 2: (50, 50, 10, 10)} for _ in range(10)]


def test_a_perfect_track_a_swap_and_a_miss():
    perfect = [{"a": (0, 0, 10, 10), "b": (50, 50, 10, 10)} for _ in range(10)]
    swapped = [{"a": (0, 0, 10, 10), "b": (50, 50, 10, 10)} if t < 5 else {"b": (0, 0, 10, 10), "a": (50, 50, 10, 10)} for t in range(10)]
    half = [{"a": (0, 0, 10, 10)} for _ in range(10)]  # one object never found
    scores = mot_scores({"perfect": (TRUTH, perfect), "swapped": (TRUTH, swapped), "half": (TRUTH, half)})
    assert scores["perfect"].hota == pytest.approx(1.0) and scores["perfect"].idf1 == 1.0 and scores["perfect"].id_switches == 0
    s = scores["swapped"]  # every box right, the ids swap once each halfway: AssA 1/3, HOTA sqrt(1/3), IDF1 1/2
    assert (s.deta, s.idf1, s.id_switches, s.mota) == (pytest.approx(1.0), pytest.approx(0.5), 2, pytest.approx(0.9))
    assert s.hota == pytest.approx(math.sqrt(1 / 3))
    h = scores["half"]  # DetA 1/2 (10 of 20 true boxes, no false one), AssA 1
    assert h.deta == pytest.approx(0.5) and h.assa == pytest.approx(1.0) and h.mota == pytest.approx(0.5)
    assert scores["combined"].gt_ids == 6 and scores["combined"].id_switches == 2


def test_frames_must_line_up():
    with pytest.raises(ValueError, match="clip: 10 ground-truth frames but 9 tracker frames"):
        mot_scores({"clip": (TRUTH, TRUTH[:9])})


def _random_sequence(rng: np.random.Generator, frames: int = 30) -> tuple[list, list]:
    """Objects drifting, entering and leaving; a tracker that jitters, misses, swaps and adds boxes."""
    starts = rng.uniform(0, 200, (6, 2))
    gt, found = [], []
    for t in range(frames):
        truth = {k: (*(starts[k] + t * (k - 2)), 30.0, 40.0) for k in range(6) if (t + 7 * k) % 23 > 3}
        gt.append(truth)
        out = {}
        for k, box in truth.items():
            if rng.random() < 0.85:
                tid = k if t < 15 or k > 1 else 1 - k  # ids 0 and 1 swap halfway
                out[tid] = tuple(np.array(box) + np.r_[rng.normal(0, 6, 2), 0, 0])
        if rng.random() < 0.3:
            out[100 + t] = (*rng.uniform(0, 200, 2), 30.0, 40.0)
        found.append(out)
    return gt, found


def test_the_figures_are_trackevals():
    trackeval = pytest.importorskip("trackeval", reason="TrackEval (the 'parity' extra) is not installed")
    rng = np.random.default_rng(0)
    sequences = {f"s{i}": _random_sequence(rng) for i in range(3)}
    ours = mot_scores(sequences)
    hota, identity, clear = (trackeval.metrics.HOTA(), trackeval.metrics.Identity({"PRINT_CONFIG": False}), trackeval.metrics.CLEAR({"PRINT_CONFIG": False}))
    theirs = {}
    for name, (gt, found) in sequences.items():
        data = _trackeval_data(gt, found)
        theirs[name] = (hota.eval_sequence(data), identity.eval_sequence(data), clear.eval_sequence(data))
    for name in sequences:
        h, i, c = theirs[name]
        assert ours[name].hota == pytest.approx(np.mean(h["HOTA"]), abs=1e-9)
        assert (ours[name].deta, ours[name].assa) == (pytest.approx(np.mean(h["DetA"]), abs=1e-9), pytest.approx(np.mean(h["AssA"]), abs=1e-9))
        assert ours[name].idf1 == pytest.approx(i["IDF1"], abs=1e-9)
        # motmetrics' MOTA and switches (its own matching across frames) stay within a switch or two of TrackEval's CLEAR
        assert abs(ours[name].id_switches - c["IDSW"]) <= 2 and ours[name].mota == pytest.approx(c["MOTA"], abs=0.015)
    combined = hota.combine_sequences({n: t[0] for n, t in theirs.items()})
    assert ours["combined"].hota == pytest.approx(np.mean(combined["HOTA"]), abs=1e-9)


def _trackeval_data(gt: list, found: list) -> dict:
    from dettrack.boxes import iou_matrix

    gi = {k: i for i, k in enumerate(dict.fromkeys(k for f in gt for k in f))}
    ti = {k: i for i, k in enumerate(dict.fromkeys(k for f in found for k in f))}
    return {
        "num_timesteps": len(gt), "num_gt_ids": len(gi), "num_tracker_ids": len(ti),
        "num_gt_dets": sum(len(f) for f in gt), "num_tracker_dets": sum(len(f) for f in found),
        "gt_ids": [np.array([gi[k] for k in f], int) for f in gt], "tracker_ids": [np.array([ti[k] for k in f], int) for f in found],
        "similarity_scores": [iou_matrix(np.array(list(g.values()), float).reshape(-1, 4), np.array(list(t.values()), float).reshape(-1, 4)) for g, t in zip(gt, found)],
    }
