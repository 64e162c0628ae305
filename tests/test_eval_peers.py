"""The common tracker interface: OpenCV's CSRT / KCF / MIL, NanoTrack and dettrack on real frames."""

import numpy as np
import pytest

import dettrack
from dettrack import TrackResult
from dettrack.data import read_otb
from dettrack.eval.peers import TRACKERS, DetTrackPeer, OpenCVPeer, make_tracker, nanotrack_files

from conftest import shared_path, small_model
from test_eval_datasets import one_thread  # noqa: F401  (a fixture)
from test_eval_runner import iou


@pytest.fixture(scope="module")
def couple():
    """The first 10 frames and boxes of the real OTB sequence Couple."""
    (seq,) = [s for s in read_otb(shared_path("data", "otb")) if s.name == "Couple"]
    return [seq.frame(t) for t in range(10)], seq.boxes[:10]


def follow(tracker, frames, boxes) -> list[TrackResult]:
    tracker.init(frames[0], boxes[0])
    return [tracker.update(frame) for frame in frames[1:]]


@pytest.mark.parametrize("name", ["csrt", "kcf", "mil"])
def test_opencv_trackers_follow_a_real_target(name, couple):
    results = follow(make_tracker(name), *couple)
    for result in results:
        assert isinstance(result, TrackResult) and result.mask is None
        assert len(result.box) == 4 and all(isinstance(v, float) for v in result.box)
        assert result.score in (0.0, 1.0) and result.present == (result.score == 1.0)
    assert iou(results[-1].box, couple[1][9]) > 0.3


def test_nanotrack_reports_its_tracking_score(couple):
    tracker = make_tracker("nanotrack", nanotrack_folder=shared_path("models", "nanotrack_v2"))
    results = follow(tracker, *couple)
    assert all(0.5 < r.score <= 1.0 and r.present for r in results)
    assert len({round(r.score, 6) for r in results}) > 1  # a real confidence, not a success flag
    assert iou(results[-1].box, couple[1][9]) > 0.5


def test_nanotrack_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="--nanotrack .*missing: folder not found"):
        nanotrack_files(tmp_path / "missing")
    (tmp_path / "model.onnx").write_bytes(b"")
    with pytest.raises(ValueError, match=r"expected one \*backbone\*\.onnx and one \*head\*\.onnx"):
        make_tracker("nanotrack", nanotrack_folder=tmp_path)


class FakeOpenCV:
    """Records the frames OpenCV would get; loses the object after two updates."""

    def __init__(self):
        self.frames, self.calls = [], 0

    def init(self, frame, rect):
        self.frames.append(frame)
        self.rect = rect

    def update(self, frame):
        self.frames.append(frame)
        self.calls += 1
        return (True, (5, 6, 7, 8)) if self.calls < 3 else (False, (0, 0, 0, 0))

    def getTrackingScore(self):
        return 0.3


def test_opencv_peers_get_bgr_frames_and_keep_the_last_box_when_lost():
    fake = FakeOpenCV()
    tracker = OpenCVPeer("fake", lambda: fake)
    frame = np.zeros((20, 30, 3), dtype=np.uint8)
    frame[..., 0] = 200  # red in RGB
    tracker.init(frame, (1.4, 2.6, 10.2, 5.0))
    assert fake.rect == (1, 3, 11, 5) and fake.frames[0][0, 0].tolist() == [0, 0, 200]  # BGR
    assert tracker.update(frame) == TrackResult((5.0, 6.0, 7.0, 8.0), 1.0, True, None)
    tracker.update(frame)
    assert tracker.update(frame) == TrackResult((5.0, 6.0, 7.0, 8.0), 0.0, False, None)
    scored = OpenCVPeer("fake", FakeOpenCV, scored=True, presence_threshold=0.25)
    scored.init(frame, (0, 0, 5, 5))
    assert scored.update(frame) == TrackResult((5.0, 6.0, 7.0, 8.0), 0.3, True, None)
    with pytest.raises(ValueError, match="positive width and height"):
        tracker.init(frame, (0, 0, 0, 5))


@pytest.mark.usefixtures("one_thread")
def test_dettrack_from_a_checkpoint_path(tmp_path, couple):
    path = tmp_path / "tiny.pt"
    dettrack.save_checkpoint(small_model(min_size=96, max_size=128), path)
    tracker = make_tracker("dettrack-temporal", model=str(path), presence_threshold=0.0)
    assert isinstance(tracker, DetTrackPeer) and tracker.smoothing and tracker.name == "dettrack-temporal"
    frames, boxes = couple
    results = follow(tracker, frames[:3], boxes)
    assert all(r.present and 0 <= r.score <= 1 and r.mask.shape == frames[0].shape[:2] for r in results)
    plain = make_tracker("dettrack", model=tracker.model)
    assert plain.model is tracker.model and not plain.smoothing
    with pytest.raises(RuntimeError, match="call init"):
        DetTrackPeer(tracker.model).update(frames[0])
    # the same settings given in `tracking` (as `dettrack eval --tracking` does) instead of as arguments
    spelled = make_tracker("dettrack", model=tracker.model, tracking={"smoothing": True, "presence_threshold": 0.2})
    spelled.init(frames[0], tuple(boxes[0]))
    assert spelled.smoothing and spelled.session.settings.smoothing and spelled.session.settings.presence_threshold == 0.2


def test_unknown_tracker():
    assert set(TRACKERS) == {"dettrack", "dettrack-temporal", "csrt", "kcf", "mil", "nanotrack"}
    with pytest.raises(ValueError, match="unknown tracker 'siamfc'; choose from dettrack"):
        make_tracker("siamfc")
