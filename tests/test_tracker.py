import numpy as np
import pytest
import torch

from dettrack import Tracker, TrackResult
from dettrack.tracking import TemporalSmoother, check_box, frame_to_tensor, mask_iou

from conftest import small_model


def _frames(n: int = 3, size=(120, 160)) -> list[np.ndarray]:
    """A textured square moving right over a noisy background, as uint8 RGB frames."""
    rng = np.random.default_rng(0)
    background = rng.integers(0, 80, size=(*size, 3), dtype=np.uint8)
    patch = rng.integers(150, 255, size=(30, 40, 3), dtype=np.uint8)
    frames = []
    for t in range(n):
        frame = background.copy()
        frame[40:70, 30 + 10 * t : 70 + 10 * t] = patch
        frames.append(frame)
    return frames


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return small_model(track_score_thresh=0.0)


def test_tracker_returns_well_typed_results(model):
    frames = _frames()
    tracker = Tracker(model, presence_threshold=0.3)
    tracker.init(frames[0], (30, 40, 40, 30))
    for frame in frames[1:]:
        result = tracker.update(frame)
        assert isinstance(result, TrackResult)
        assert len(result.box) == 4 and all(isinstance(v, float) for v in result.box)
        x, y, w, h = result.box
        assert w > 0 and h > 0 and 0 <= x and x + w <= 160 + 1e-3 and 0 <= y and y + h <= 120 + 1e-3
        assert isinstance(result.score, float) and 0.0 <= result.score <= 1.0
        assert isinstance(result.present, bool) and result.present == (result.score >= 0.3)
        assert result.mask.dtype == bool and result.mask.shape == (120, 160)


def test_gray_rgba_and_tensor_frames_match_rgb(model):
    frames = _frames(2)
    gray = [f[..., 0] for f in frames]
    rgb_of_gray = [np.repeat(g[..., None], 3, axis=2) for g in gray]
    rgba = [np.concatenate([f, np.full(f.shape[:2] + (1,), 255, np.uint8)], axis=2) for f in frames]
    pairs = [(gray, rgb_of_gray), (rgba, frames), ([torch.from_numpy(f) for f in frames], frames)]
    for variant, reference in pairs:
        results = []
        for sequence in (variant, reference):
            tracker = Tracker(model)
            tracker.init(sequence[0], (30, 40, 40, 30))
            results.append(tracker.update(sequence[1]))
        assert results[0].box == pytest.approx(results[1].box)
        assert results[0].score == pytest.approx(results[1].score)


def test_float_chw_tensors_are_taken_as_torchvision_images():
    frame = _frames(1)[0]
    as_float = torch.from_numpy(frame).permute(2, 0, 1).float() / 255
    torch.testing.assert_close(frame_to_tensor(as_float), frame_to_tensor(frame))


@pytest.mark.parametrize(
    "frame, message",
    [
        (np.zeros((10, 10, 3), np.float32), "uint8"),
        (np.zeros((10, 10, 3), np.uint16), "16-bit"),
        (np.zeros((10, 10, 5), np.uint8), "got shape"),
        (np.zeros((10,), np.uint8), "got shape"),
        (np.zeros((0, 10, 3), np.uint8), "empty frame"),
        ([[1, 2, 3]], "got list"),
        (torch.zeros(10, 10, 3), r"\[3, H, W\]"),
    ],
)
def test_bad_frames_are_named(frame, message):
    with pytest.raises(ValueError, match=message):
        frame_to_tensor(frame, name="frame 7")
    with pytest.raises(ValueError, match="frame 7"):
        frame_to_tensor(frame, name="frame 7")


@pytest.mark.parametrize(
    "box, message",
    [
        ((10, 10, 0, 5), "positive"),
        ((10, 10, 5, -1), "positive"),
        ((float("nan"), 10, 5, 5), "NaN"),
        ((500, 10, 5, 5), "wholly outside"),
        ((-50, -50, 20, 20), "wholly outside"),
        ((1, 2, 3), "four numbers"),
        ("a,b,c,d", "four numbers"),
    ],
)
def test_bad_boxes_are_named(box, message):
    with pytest.raises(ValueError, match=message):
        check_box(box, (100, 200), name="init box")


def test_boxes_partly_outside_are_clipped():
    assert check_box((-10, 90, 30, 30), (100, 200)).tolist() == [0.0, 90.0, 20.0, 100.0]


def test_tracker_misuse_is_reported(model):
    frames = _frames(2)
    tracker = Tracker(model)
    with pytest.raises(RuntimeError, match="init"):
        tracker.update(frames[0])
    with pytest.raises(ValueError, match="box of object 0"):
        tracker.init(frames[0], (0, 0, 0, 10))
    tracker.init(frames[0], (30, 40, 40, 30))
    with pytest.raises(ValueError, match="frame 1 is 80x60 but the stream started with 160x120 frames"):
        tracker.update(frames[1][:60, :80])
    with pytest.raises(ValueError, match="presence_threshold"):
        Tracker(model, presence_threshold=1.5)


def test_smoothing_tracker_runs(model):
    frames = _frames(4)
    tracker = Tracker(model, smoothing=True)
    tracker.init(frames[0], (30, 40, 40, 30))
    results = [tracker.update(f) for f in frames[1:]]
    assert all(r.mask is not None for r in results)
    assert tracker.smoother is not None and tracker.smoother.previous is not None


def _square(x: int, size: int = 20) -> torch.Tensor:
    m = torch.zeros(64, 128, dtype=torch.bool)
    m[10 : 10 + size, x : x + size] = True
    return m


def test_mask_iou():
    a, b = _square(0), _square(10)
    assert mask_iou(torch.stack([a, b, torch.zeros_like(a)]), a).tolist() == pytest.approx([1.0, 200 / 600, 0.0])


def test_temporal_smoothing_blends_breaks_and_resumes():
    smoother = TemporalSmoother(alpha=0.6, resume_after=30)
    scores = torch.tensor([0.5, 0.6])
    # no previous answer yet: scores pass through
    torch.testing.assert_close(smoother.rescore(scores, torch.stack([_square(0), _square(60)])), scores)
    smoother.observe(_square(0))
    blended = smoother.rescore(scores, torch.stack([_square(0), _square(60)]))
    torch.testing.assert_close(blended, torch.tensor([0.6 * 0.5 + 0.4 * 1.0, 0.6 * 0.6 + 0.4 * 0.0]))
    # a jump (IoU < 0.1 with the previous answer) switches smoothing off
    smoother.observe(_square(80))
    assert not smoother.active
    torch.testing.assert_close(smoother.rescore(scores, torch.stack([_square(80), _square(0)])), scores)
    # 29 consistent frames are not enough, the 30th turns it back on
    for _ in range(29):
        smoother.observe(_square(80))
    assert not smoother.active
    smoother.observe(_square(80))
    assert smoother.active
    # a poor-overlap frame (0.1 <= IoU <= 0.3) while off restarts the count
    smoother.observe(_square(0))
    assert not smoother.active
    for _ in range(20):
        smoother.observe(_square(0))
    smoother.observe(_square(14))  # IoU 6*20 / (2*400 - 120) = 0.18
    for _ in range(29):
        smoother.observe(_square(14))
    assert not smoother.active
    smoother.observe(_square(14))
    assert smoother.active
