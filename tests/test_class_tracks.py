"""Tracks of every object of a class, started by the detector (tracking.auto.ClassTracker, `dettrack track --classes`)."""

import json

import numpy as np
import pytest

import dettrack
from dettrack.cli import main
from dettrack.eval.metrics.overlap import iou_xywh
from dettrack.tracking import ClassTracker, ClassTracking

from conftest import shared_path

COWS = shared_path("data", "davis2016", "JPEGImages", "480p", "cows")


@pytest.fixture(scope="module")
def model():
    return dettrack.load_model("pretrained")


@pytest.fixture(scope="module")
def cows():
    """DAVIS-2016 cows: one cow walking, annotated (other cows pass far behind late in the clip)."""
    from dettrack.data import open_dataset

    seq = next(s for s in open_dataset("davis2016", shared_path("data", "davis2016")) if s.name == "cows")
    return [seq.frame(i) for i in range(24)], seq.boxes[:24]


def test_the_detector_starts_one_track_per_object_and_the_template_keeps_it(model, cows):
    frames, truth = cows
    tracker = ClassTracker(dettrack.open_session(model), ClassTracking(("cow",), every=5, min_score=0.3))
    rows = [results for _, results in tracker.track(frames)]
    assert set(tracker.names) == {1} and tracker.names[1] == "cow"  # later detections of the cow are its track's, not new ones
    boxes = np.array([r[1].box for r in rows])
    assert np.mean(iou_xywh(boxes, truth) > 0.5) > 0.9
    assert rows[0][1].score == 1.0 and rows[0][1].mask is not None  # its first answer: the detection, with its mask


def test_a_lost_track_ends_or_is_found_again_by_its_look(model, cows):
    frames, _ = cows
    blank = np.full_like(frames[0], 127)
    moved = [np.roll(f, 300, axis=1) for f in frames[12:20]]  # the cow comes back elsewhere in the frame
    stream = frames[:8] + [blank] * 4 + moved
    tracker = ClassTracker(dettrack.open_session(model), ClassTracking(("cow",), every=2, min_score=0.3, max_absent=20))
    rows = [results for _, results in tracker.track(stream)]
    assert not rows[11][1].present  # gone while the frames are blank
    assert set(tracker.names) == {1} and rows[-1][1].present  # re-found by a detection that its verifier recognises: same id
    x = rows[-1][1].box[0] + rows[-1][1].box[2] / 2
    assert x > 300  # and searched for where it came back
    ending = ClassTracker(dettrack.open_session(model), ClassTracking(("cow",), every=2, min_score=0.3, max_absent=3))
    rows = [results for _, results in ending.track(frames[:8] + [blank] * 4)]
    assert ending.ended == [1] and 1 not in rows[-1]


def test_the_command_writes_ids_classes_and_a_mot_file(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["track", str(COWS), "--classes", "cow", "--min-score", "0.3", "--every", "5", "--end", "8", "--out", str(out), "--quiet", "--no-overlay"]) == 0
    rows = json.loads((out / "tracks.json").read_text())
    assert {o["id"] for r in rows for o in r["objects"]} == {1} and rows[0]["objects"][0]["class"] == "cow"
    mot = np.loadtxt(out / "mot.txt", delimiter=",")
    assert mot.shape[1] == 10 and mot[0, 0] == 1 and set(mot[:, 1]) == {1} and (mot[:, 7:] == -1).all()
    masks = np.array(__import__("PIL.Image", fromlist=["Image"]).open(out / "masks" / "00003.png"))
    assert set(np.unique(masks)) == {0, 1}  # palette value = the id
    assert main(["track", str(COWS), "--classes", "unicorn", "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "unknown class 'unicorn'" in err and "person, bicycle" in err and not (tmp_path / "bad").exists()
    assert main(["track", str(COWS), "--classes", "cow", "--every", "0"]) == 2
    assert "--every must be a whole number of frames >= 1" in capsys.readouterr().err
    assert main(["track", str(COWS), "--classes", "cow", "--min-score", "1.5"]) == 2
    assert "--min-score must be a number in (0, 1]" in capsys.readouterr().err


def test_the_command_finalises_a_track_that_ends_and_goes_on(tmp_path, cows, monkeypatch):
    from PIL import Image

    from dettrack.video import TrackWriter

    ended, end_object = [], TrackWriter.end_object

    def noted(writer: TrackWriter, obj_id) -> None:  # the writer's own end_object, its calls noted
        ended.append(obj_id)
        end_object(writer, obj_id)

    monkeypatch.setattr(TrackWriter, "end_object", noted)
    frames, _ = cows
    folder = tmp_path / "frames"
    folder.mkdir()
    for index, frame in enumerate(frames[:8] + [np.full_like(frames[0], 127)] * 6):  # the cow, then nothing
        Image.fromarray(frame).save(folder / f"{index:03d}.png")
    out = tmp_path / "run"
    assert main(["track", str(folder), "--classes", "cow", "--every", "2", "--max-absent", "3", "--out", str(out), "--quiet", "--no-overlay"]) == 0
    rows = json.loads((out / "tracks.json").read_text())
    lived = [r["frame"] for r in rows if any(o["id"] == 1 for o in r["objects"])]
    assert lived == list(range(len(lived))) and 8 < len(lived) < 14 and len(rows) == 14  # it ended; the run went on
    assert len((out / "1" / "boxes.txt").read_text().splitlines()) == len(lived)
    assert ended == [1] and not list(out.rglob("*.partial"))  # its files were finalised when it ended


def test_a_csv_number_id_is_a_number_beside_the_detectors_tracks(tmp_path, cows):
    x, y, w, h = (float(v) for v in cows[1][0])
    spec = tmp_path / "boxes.csv"
    spec.write_text(f"id,frame,x,y,w,h\n5,0,{x},{y},{w},{h}\n")
    out = tmp_path / "run"
    assert main(["track", str(COWS), "--boxes", str(spec), "--classes", "cow", "--end", "4", "--out", str(out), "--quiet", "--no-overlay", "--no-masks"]) == 0
    mot = np.loadtxt(out / "mot.txt", delimiter=",")
    assert set(mot[:, 1]) == {5} and (out / "5" / "boxes.txt").is_file()  # the given cow is track 5; its detections start nothing


def test_two_tracks_on_one_object_merge_when_asked(model, cows):
    frames, truth = cows
    box = tuple(float(v) for v in truth[0])
    tracker = ClassTracker(dettrack.open_session(model), ClassTracking(("cow",), every=100, merge_iou=0.7))
    rows = [results for _, results in tracker.track(frames[:4], {0: {"a": box, "b": box}})]
    assert tracker.ended == ["b"] and set(rows[-1]) == {"a"}  # the younger of two tracks on one cow ends
    kept = ClassTracker(dettrack.open_session(model), ClassTracking(("cow",), every=100))
    rows = [results for _, results in kept.track(frames[:4], {0: {"a": box, "b": box}})]
    assert kept.ended == [] and set(rows[-1]) == {"a", "b"}  # merging is off by default
