"""OxUvA metrics and CSV readers, on the real dev annotations with synthetic predictions."""

import csv
import math

import numpy as np
import pytest

from dettrack.data.readers.oxuva_csv import OxuvaTrack, read_oxuva_annotations, read_oxuva_tasks
from dettrack.eval.formats.oxuva import read_oxuva_predictions
from dettrack.eval.metrics import (
    OxuvaPredictions,
    TrackAssessment,
    oxuva_assess_track,
    oxuva_auc,
    oxuva_max_gm,
    oxuva_score_curve,
    oxuva_scores,
    unit_square_iou,
)

from conftest import shared_path


@pytest.fixture(scope="module")
def dev_tracks():
    return read_oxuva_annotations(shared_path("data", "oxuva", "annotations", "dev.csv"))


def _write_predictions(path, tracks, box_for=None, present_for=None, score_for=None, header=True):
    """One CSV with a prediction at every labelled frame of every track (ground truth unless overridden)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        if header:
            writer.writerow(["video", "object", "frame_num", "present", "score", "xmin", "xmax", "ymin", "ymax"])
        for track in tracks.values():
            for i, frame in enumerate(track.frames):
                present = bool(track.present[i]) if present_for is None else present_for(track, i)
                box = track.boxes[i] if box_for is None else box_for(track, i)
                score = float(present) if score_for is None else score_for(track, i)
                writer.writerow([track.video, track.object, int(frame), str(present).lower(), score, *box])


def test_dev_annotations_are_read_with_the_init_frame_excluded(dev_tracks):
    assert len(dev_tracks) == 200
    assert sum(len(t.frames) for t in dev_tracks.values()) == 11822 - 200
    assert sum(int((~t.present).sum()) for t in dev_tracks.values()) == 354
    track = dev_tracks[("vid0000", "obj0000")]
    assert track.init_frame == 0 and track.frames[0] == 30
    np.testing.assert_allclose(track.init_box, [0.471, 0.662, 0.27333334, 0.62833333])
    np.testing.assert_allclose(track.boxes[0], [0.445, 0.604, 0.28666666, 0.6333333])


def test_dev_tasks_match_the_annotations(dev_tracks):
    tasks = read_oxuva_tasks(shared_path("data", "oxuva", "tasks", "dev.csv"))
    assert tasks.keys() == dev_tracks.keys()
    for key, task in tasks.items():
        track = dev_tracks[key]
        assert (task.init_frame, task.last_frame) == (track.init_frame, track.frames[-1])
        np.testing.assert_allclose(task.init_box, track.init_box)


def test_ground_truth_predictions_score_perfectly(tmp_path, dev_tracks):
    _write_predictions(tmp_path / "pred.csv", dev_tracks)
    scores = oxuva_scores(dev_tracks, read_oxuva_predictions(tmp_path / "pred.csv"))
    assert (scores.tp, scores.fn, scores.tn, scores.fp) == (11622 - 354, 0, 354, 0)
    assert scores.tpr == scores.tnr == scores.gm == scores.max_gm == 1.0
    assert scores.auc == pytest.approx(1.0)


def test_always_present_tracker(tmp_path, dev_tracks):
    _write_predictions(tmp_path / "pred.csv", dev_tracks, present_for=lambda t, i: True, score_for=lambda t, i: 1.0)
    scores = oxuva_scores(dev_tracks, read_oxuva_predictions(tmp_path / "pred.csv"))
    assert (scores.tpr, scores.tnr, scores.gm) == (1.0, 0.0, 0.0)
    assert scores.max_gm == pytest.approx(0.5)  # sqrt(th (1 - th)) at th = 1/2
    assert scores.auc == pytest.approx(0.5)  # one score for every frame: the diagonal


def test_wrong_boxes_on_some_tracks_become_false_negatives(tmp_path, dev_tracks):
    broken = {key for n, key in enumerate(sorted(dev_tracks)) if n % 4 == 0}

    def box(track, i):
        xmin, xmax, ymin, ymax = track.boxes[i]
        if (track.video, track.object) not in broken:
            return track.boxes[i]
        width = xmax - xmin
        return [xmin + 0.6 * width, xmax + 0.6 * width, ymin, ymax]  # IoU 0.4 / 1.6 = 0.25 (before clipping)

    _write_predictions(tmp_path / "pred.csv", dev_tracks, box_for=box, header=False)
    scores = oxuva_scores(dev_tracks, read_oxuva_predictions(tmp_path / "pred.csv"))
    present = {key: int(t.present.sum()) for key, t in dev_tracks.items()}
    missed = sum(present[key] for key in broken)
    assert scores.fn == missed
    assert scores.tp == sum(present.values()) - missed
    assert scores.tpr == pytest.approx(1 - missed / sum(present.values()))
    assert (scores.tn, scores.fp, scores.tnr) == (354, 0, 1.0)
    assert scores.gm == pytest.approx(math.sqrt(scores.tpr))


def test_missing_predictions_take_the_previous_one():
    track = OxuvaTrack(
        video="v",
        object="o",
        init_frame=0,
        init_box=np.array([0.1, 0.3, 0.1, 0.3]),
        frames=np.array([30, 60, 90, 120]),
        present=np.array([True, True, False, True]),
        boxes=np.array([[0.1, 0.3, 0.1, 0.3], [0.5, 0.7, 0.5, 0.7], [0, 0, 0, 0], [0.5, 0.7, 0.5, 0.7]]),
    )
    pred = OxuvaPredictions(
        frames=np.array([0, 45, 100]),
        present=np.array([True, True, False]),
        score=np.array([0.9, 0.8, 0.1]),
        boxes=np.array([[0.1, 0.3, 0.1, 0.3], [0.5, 0.7, 0.5, 0.7], [np.nan] * 4]),
    )
    a = oxuva_assess_track(track, pred)
    # t=30 <- frame 0 (correct), t=60 <- frame 45 (correct), t=90 <- 45 (present: FP), t=120 <- 100 (absent: FN)
    assert a.pred_present.tolist() == [True, True, True, False]
    assert a.correct.tolist() == [True, True, False, False]
    assert a.score.tolist() == [0.9, 0.8, 0.8, 0.1]
    scores = oxuva_scores({("v", "o"): track}, {("v", "o"): pred})
    assert (scores.tp, scores.fn, scores.tn, scores.fp) == (2, 1, 0, 1)
    with pytest.raises(ValueError, match="track v o: no prediction at or before labelled frame 30"):
        oxuva_assess_track(track, OxuvaPredictions(pred.frames[2:], pred.present[2:], pred.score[2:], pred.boxes[2:]), name="track v o")


def test_iou_clips_to_the_unit_square_and_uses_the_half_threshold():
    a = np.array([[0.5, 1.0, 0.0, 1.0], [0.0, 0.5, 0.0, 0.5], [0.2, 0.2, 0.2, 0.2]])
    b = np.array([[0.5, 1.5, -0.5, 1.0], [0.0, 0.5, 0.0, 0.25], [0.2, 0.2, 0.2, 0.2]])
    np.testing.assert_allclose(unit_square_iou(a, b), [1.0, 0.5, 0.0])


def test_max_gm_by_hand():
    assert oxuva_max_gm(1.0, 0.0) == pytest.approx(0.5)
    assert oxuva_max_gm(0.6, 0.9) == pytest.approx(math.sqrt(0.54))  # peak at th < 0: th = 0 is best
    assert oxuva_max_gm(0.8, 0.2) == pytest.approx(0.5)  # th* = 0.375: (0.125 + 0.375) * 0.5 = 0.25
    assert oxuva_max_gm(0.0, 1.0) == 0.0
    assert math.isnan(oxuva_max_gm(math.nan, 0.5))


def test_score_curve_and_auc_by_hand():
    # Scores 0.9 (present, correct), 0.8 (absent), 0.8 (present, correct), 0.5 (present, wrong), 0.1 (absent).
    a = TrackAssessment(
        gt_present=np.array([True, False, True, True, False]),
        pred_present=np.ones(5, dtype=bool),
        correct=np.array([True, True, True, False, False]),
        score=np.array([0.9, 0.8, 0.8, 0.5, 0.1]),
    )
    fpr, tpr = oxuva_score_curve(a)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1.0])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 2 / 3, 2 / 3, 2 / 3])
    # Trapezoids: 0.5 * (1/3 + 2/3) / 2 + 0.5 * 2/3
    assert oxuva_auc(a) == pytest.approx(0.25 + 1 / 3)


def test_prediction_reader_formats(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "video,object,frame,present,score,xmin,xmax,ymin,ymax\n"
        "v,o,60,absent,0.2,,,,\n"
        "v,o,30,present,0.9,0.1,0.2,0.3,0.4\n"
        "v,o2,30,0,-1.5,0,0,0,0\n"
    )
    preds = read_oxuva_predictions(path)
    assert preds[("v", "o")].frames.tolist() == [30, 60]
    assert preds[("v", "o")].present.tolist() == [True, False]
    assert np.isnan(preds[("v", "o")].boxes[1]).all()
    assert preds[("v", "o2")].score.tolist() == [-1.5]


@pytest.mark.parametrize(
    "line, message",
    [
        ("v,o,30,true,0.9,0.1,0.2,0.3", "p.csv:1: expected 9 comma-separated fields, got 8"),
        ("v,o,30,true,0.9,0.1,nan,0.3,0.4", "p.csv:1: box .* is not finite"),
        ("v,o,30,true,0.9,0.3,0.2,0.3,0.4", "p.csv:1: box has negative size"),
        ("v,o,30,true,nan,0.1,0.2,0.3,0.4", "p.csv:1: score is NaN"),
        ("v,o,30,maybe,0.9,0.1,0.2,0.3,0.4", "p.csv:1: cannot read presence 'maybe'"),
        ("v,o,3x,true,0.9,0.1,0.2,0.3,0.4", "p.csv:1: frame must be an integer, got '3x'"),
        ("v,o,30,1,0.9,0.1,0.2,0.3,0.4\nv,o,30,1,0.9,0.1,0.2,0.3,0.4", "predictions for v o .*frame 30 appears twice"),
    ],
)
def test_bad_prediction_rows(tmp_path, line, message):
    path = tmp_path / "p.csv"
    path.write_text(line + "\n")
    with pytest.raises(ValueError, match=message):
        read_oxuva_predictions(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("v,o,1,cat,false,false,0,present,0.1,0.2,0.3\n", "a.csv:1: expected 12 comma-separated fields, got 11"),
        ("v,o,1,cat,false,false,0,present,0.1,0.2,0.3,0.4\n", "track v o .* has no labelled frame after its first"),
        ("v,o,1,cat,f,f,0,absent,0,0,0,0\nv,o,1,cat,f,f,30,present,0,1,0,1\n", "absent in its first"),
        ("v,o,1,cat,f,f,0,yes,0,1,0,1\n", "a.csv:1: presence must be 'present' or 'absent'"),
        ("v,o,1,cat,f,f,0,present,0,1,0,1\nv,o,1,cat,f,f,30,present,0,-1,0,1\n", "a.csv:2: box has negative size"),
    ],
)
def test_bad_annotation_rows(tmp_path, text, message):
    path = tmp_path / "a.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_oxuva_annotations(path)


def test_missing_track_predictions_are_an_error(tmp_path, dev_tracks):
    some = dict(list(dev_tracks.items())[:3])
    _write_predictions(tmp_path / "pred.csv", dict(list(some.items())[:2]))
    with pytest.raises(ValueError, match=r"no predictions for track vid\d+ obj\d+ \(1 tracks missing\)"):
        oxuva_scores(some, read_oxuva_predictions(tmp_path / "pred.csv"))
