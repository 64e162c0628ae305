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


def test_search_region_geometry_round_trips():
    from dettrack.crops import crop_images
    from dettrack.tracking.search_region import crop_window, to_frame

    image = torch.zeros(3, 100, 200)
    image[:, 40:60, 120:150] = 1.0  # a bright block
    window = crop_window((120, 40, 30, 20), context=3.0, frame_size=(100, 200))
    left, top, side = window
    assert side == round(3.0 * (30 * 20) ** 0.5) and (left, top) == (round(135 - side / 2), round(50 - side / 2))
    crop = crop_images(image, [window], 64)[0]
    # the block sits in the middle of the crop
    scale = side / 64
    cx, cy = int((135 - left) / scale), int((50 - top) / scale)
    assert crop[0, cy, cx] == pytest.approx(1.0)
    assert crop[0, 1, 1] == 0.0
    block = torch.tensor([[(120 - left) / scale, (40 - top) / scale, (150 - left) / scale, (60 - top) / scale]])
    head_masks = torch.rand(1, 1, 28, 28)
    back = to_frame({"boxes": block, "scores": torch.ones(1), "masks": head_masks}, window, 64, (100, 200))
    torch.testing.assert_close(back["boxes"], torch.tensor([[120.0, 40.0, 150.0, 60.0]]), atol=1e-3, rtol=0)
    assert back["masks"] is head_masks  # box-relative masks are pasted at the mapped boxes later
    # a window sticking out of the frame: outside reads zero, inside is the frame itself (scale 1)
    ramp = torch.arange(100 * 200, dtype=torch.float32).view(1, 100, 200).expand(3, -1, -1)
    corner = crop_images(ramp, [(-20, -10, 64)], 64)[0]
    assert corner[:, :10].abs().sum() == 0 and corner[:, :, :20].abs().sum() == 0
    torch.testing.assert_close(corner[:, 10:, 20:], ramp[:, :54, :44])


def test_search_region_mode_switches_between_crops_and_full_frames(model):
    frames = _frames(6)
    session = MultiTracker(model, presence_threshold=0.0, search_region=96, refresh_every=2)
    session.add(frames[0], (10, 20, 40, 30), "a")
    modes = []
    for frame in frames[1:]:
        modes.append(session.objects["a"].local)
        result = session.update(frame)["a"]
        assert result.mask is None or result.mask.shape == (120, 160)
        x, y, w, h = result.box
        assert 0 <= x and x + w <= 160.01 and 0 <= y and y + h <= 120.01
    # full frame first, then two crops, then a refresh on the full frame
    assert modes == [False, True, True, False, True]
    strict = MultiTracker(model, presence_threshold=1.0, search_region=96)
    strict.add(frames[0], (10, 20, 40, 30), "a")
    strict.update(frames[1])
    assert not strict.objects["a"].local  # absent answers fall back to the full frame


def test_many_search_regions_give_way_to_one_full_frame_pass(model):
    frames = _frames(3)
    sizes = []
    hook = model.backbone.register_forward_hook(lambda module, args, out: sizes.append(tuple(args[0].shape)))
    try:
        # the network sees these 120x160 frames as 160x213 (34,080 px); a 128x128 crop has 16,384
        session = MultiTracker(model, presence_threshold=0.0, search_region=128)
        session.add(frames[0], (10, 20, 40, 30), "a")
        session.add(frames[0], (100, 70, 40, 30), "b")
        session.update(frames[1])  # first frame after the templates: full frame
        sizes.clear()
        session.update(frames[2])  # two crops (32,768 px) are cheaper than the frame
        assert sizes == [(2, 3, 128, 128)]
        session.add(frames[2], (60, 5, 30, 30), "c")
        session.update(frames[2])  # "c" needs the full frame anyway
        for obj in session.objects.values():
            obj.local = True
        sizes.clear()
        session.update(frames[2])  # three crops (49,152 px) hold more than the frame: one shared pass
        assert len(sizes) == 1 and sizes[0][0] == 1 and sizes[0][-2:] != (128, 128)
    finally:
        hook.remove()


def test_proposal_caps_reach_the_box_head_on_frames_and_crops(model):
    frames = _frames(3)
    counts = []
    hook = model.roi_heads.box_roi_pool.register_forward_hook(lambda m, args, out: counts.append(len(out)))
    try:
        session = MultiTracker(model, search_region=64, presence_threshold=0.0, proposals=6, search_proposals=3)
        session.add(frames[0], (10, 20, 40, 30))
        session.add(frames[0], (100, 70, 40, 30))
        session.update(frames[1])  # full frame: both objects, 6 proposals each
        session.update(frames[2])  # search-region crops: 3 each
    finally:
        hook.remove()
    assert counts == [12, 6]
    with pytest.raises(ValueError, match="search_proposals must be an integer >= 0"):
        MultiTracker(model, search_proposals=-1)


def test_search_crops_can_leave_the_finest_rpn_level_out(model):
    frames = _frames(3)
    levels = []
    hook = model.rpn.head.register_forward_hook(lambda m, args, out: levels.append(len(args[0])))
    try:
        session = MultiTracker(model, search_region=64, presence_threshold=0.0, search_skip_levels=1)
        session.add(frames[0], (10, 20, 40, 30))
        session.update(frames[1])  # full frame: every level
        result = session.update(frames[2])[0]  # search-region crop: the four coarser ones
    finally:
        hook.remove()
    assert levels == [5, 4] and result.box is not None
    with pytest.raises(ValueError, match="search_skip_levels must leave the RPN at least one of its 5 levels"):
        MultiTracker(model, search_skip_levels=5)


def test_shared_pyramid_reaches_the_roi_heads_in_nchw(model):
    """With many objects the reweighted maps feed only RoIAlign, whose CPU kernel reads NCHW:
    the shared channels-last pyramid is converted once, before reweighting, not per object."""
    frames = _frames(2)
    layouts = []

    def record(module, args):
        layouts.append([f.is_contiguous() for f in args[0].values()])

    hook = model.roi_heads.register_forward_pre_hook(record)
    try:
        session = MultiTracker(model)  # channels-last weights: the backbone's maps are channels-last
        session.add(frames[0], (10, 20, 40, 30))
        session.add(frames[0], (100, 70, 40, 30))
        session.update(frames[1])
    finally:
        hook.remove()
    assert layouts and all(all(level) for level in layouts)
