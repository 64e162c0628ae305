import numpy as np
import pytest
import torch

from dettrack.tracking import MultiTracker, Tracker

from conftest import small_model


def _frames(n: int = 4) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    background = rng.integers(0, 80, size=(120, 160, 3), dtype=np.uint8)
    frames = []
    for t in range(n):
        frame = background.copy()
        frame[20:50, 10 + 5 * t : 50 + 5 * t] = 200
        frame[70:100, 100 - 5 * t : 140 - 5 * t] = (40, 220, 90)
        frames.append(frame)
    return frames


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return small_model()


def test_many_objects_share_a_pass_and_match_single_tracking(model):
    frames = _frames()
    boxes = {"a": (10, 20, 40, 30), "b": (100, 70, 40, 30)}
    session = MultiTracker(model)
    for obj_id, box in boxes.items():
        session.add(frames[0], box, obj_id)
    together = [session.update(f) for f in frames[1:]]
    for obj_id, box in boxes.items():
        single = Tracker(model)
        single.init(frames[0], box)
        for frame, joint in zip(frames[1:], together):
            alone = single.update(frame)
            assert joint[obj_id].box == pytest.approx(alone.box, abs=1e-3)
            assert joint[obj_id].score == pytest.approx(alone.score, abs=1e-5)


def test_objects_come_and_go_while_streaming(model):
    frames = _frames(5)
    session = MultiTracker(model)
    prompts = {0: {7: (10, 20, 40, 30)}, 2: {"late": (90, 70, 40, 30)}}
    seen = []
    for index, results in session.track(iter(frames), prompts):
        seen.append((index, sorted(map(str, results))))
        if index == 3:
            session.remove(7)
    assert seen == [(0, []), (1, ["7"]), (2, ["7"]), (3, ["7", "late"]), (4, ["late"])]
    assert session.ids == ["late"]


def test_ids_and_errors(model):
    frames = _frames(2)
    session = MultiTracker(model)
    assert session.add(frames[0], (10, 20, 40, 30)) == 0
    assert session.add(frames[0], (100, 70, 40, 30)) == 1
    with pytest.raises(ValueError, match="already tracked"):
        session.add(frames[0], (100, 70, 40, 30), obj_id=1)
    with pytest.raises(ValueError, match="box of object 'x'"):
        session.add(frames[0], (500, 500, 4, 4), obj_id="x")
    with pytest.raises(KeyError, match="no tracked object"):
        session.remove(5)
    with pytest.raises(ValueError, match="frame 0 is 80x60 but the stream started with 160x120 frames"):
        session.update(frames[1][:60, :80])
