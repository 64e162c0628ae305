"""Multi-object scores through TrackEval (dettrack.eval.mot): figures that can be worked out by hand."""

import math

import pytest

pytest.importorskip("trackeval", reason="TrackEval is in the 'dev' extra")
from dettrack.eval.mot import mot_scores  # noqa: E402

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
