"""The Mask R-CNN family through the model interface and the one tracking session: whole frames
and crops, many objects, objects coming and going, masks, smoothing, settings, a model left as it was."""

import copy

import numpy as np
import pytest
import torch
from torchvision.models.detection.roi_heads import paste_masks_in_image

from dettrack import TemplateTracker, Tracker, TrackingSettings, open_session
from dettrack.crops import crop_images
from dettrack.tracking import frame_to_tensor, mask_iou

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
    return small_model(track_score_thresh=0.0).eval()


CROPS = {"full_frame": False, "search_size": 96, "context": 2.0}


def test_whole_frame_interface_gives_what_track_gives_in_frame_pixels(model):
    """encode + candidates + masks are the model's own tracking pass, boxes mapped to the frame."""
    frames = _frames(2)
    template_frame, image = frame_to_tensor(frames[0]), frame_to_tensor(frames[1])
    box = torch.tensor([[10.0, 20.0, 50.0, 50.0]])
    with torch.inference_mode():
        template = model.make_template([template_frame], box)
        torch.testing.assert_close(model.make_template(model.encode(template_frame), box), template)
        reference = model.track([image], template, paste_masks=False)[0]
        encoded = model.encode(image)
        found = model.candidates(encoded, template)[0]
        masks = model.masks(encoded, found.boxes, [0] * len(found.boxes))
    # the network saw the 120x160 frame as 160x213: x and y scales differ slightly
    assert encoded.frame_input == (160, 213) and encoded.frame_size == (120, 160)
    assert len(found.boxes) > 1 and torch.all(found.scores[:-1] >= found.scores[1:])
    torch.testing.assert_close(found.boxes, reference["boxes"], atol=1e-3, rtol=0)
    torch.testing.assert_close(found.scores, reference["scores"])
    # masks of chosen boxes: the tracking mask head on the pyramid the template reweighted
    torch.testing.assert_close(masks, reference["masks"][:, 0], atol=1e-5, rtol=0)


def test_crop_candidates_map_back_to_the_frame(model):
    frames = _frames(2)
    image = frame_to_tensor(frames[1])
    windows = [(-10, 0, 80), (60, 40, 100)]
    with torch.inference_mode():
        template = model.make_template([frame_to_tensor(frames[0])] * 2, torch.tensor([[10.0, 20.0, 50.0, 50.0], [100.0, 70.0, 140.0, 100.0]]))
        encoded = model.encode(image, windows, 96)
        found = model.candidates(encoded, template)
        crops = list(crop_images(image, windows, 96))
        reference = model.track(crops, template, resize=False, paste_masks=False)
    for (left, top, side), c, ref in zip(windows, found, reference):
        expected = ref["boxes"] * (side / 96) + torch.tensor([left, top, left, top])
        expected[:, 0::2] = expected[:, 0::2].clamp(0, 160)
        expected[:, 1::2] = expected[:, 1::2].clamp(0, 120)
        torch.testing.assert_close(c.boxes, expected, atol=1e-3, rtol=0)
        torch.testing.assert_close(c.scores, ref["scores"])


@pytest.mark.parametrize("settings", [{}, CROPS], ids=["full_frame", "crops"])
def test_many_objects_share_a_pass_and_match_single_tracking(model, settings):
    frames = _frames()
    boxes = {"a": (10, 20, 40, 30), "b": (100, 70, 40, 30)}
    session = open_session(model, **settings)
    for obj_id, box in boxes.items():
        session.add(frames[0], box, obj_id)
    together = [session.update(f) for f in frames[1:]]
    for obj_id, box in boxes.items():
        single = Tracker(model, **settings)
        single.init(frames[0], box)
        for frame, joint in zip(frames[1:], together):
            alone = single.update(frame)
            assert joint[obj_id].box == pytest.approx(alone.box, abs=1e-3)
            assert joint[obj_id].score == pytest.approx(alone.score, abs=1e-5)
            assert joint[obj_id].mask.shape == (120, 160) and (joint[obj_id].mask == alone.mask).mean() > 0.999


def test_whole_frame_session_passes_the_backbone_once_per_frame(model):
    frames = _frames(3)
    inputs = []
    hook = model.backbone.register_forward_hook(lambda module, args, out: inputs.append(tuple(args[0].shape)))
    try:
        session = open_session(model)
        for k, box in enumerate([(10, 20, 40, 30), (100, 70, 40, 30), (60, 5, 30, 30)]):
            session.add(frames[0], box, k)
        inputs.clear()
        session.update(frames[1])
        assert inputs == [(1, 3, 160, 224)]
        crops = open_session(model, **CROPS)
        crops.add(frames[0], (10, 20, 40, 30))
        crops.add(frames[0], (100, 70, 40, 30))
        inputs.clear()
        crops.update(frames[1])
    finally:
        hook.remove()
    assert inputs == [(2, 3, 96, 96)]  # one batch of crops, one per object


def test_objects_come_and_go_while_streaming(model):
    frames = _frames(5)
    session = open_session(model)
    prompts = {0: {7: (10, 20, 40, 30)}, 2: {"late": (90, 70, 40, 30)}}
    seen = []
    for index, results in session.track(iter(frames), prompts):
        seen.append((index, sorted(map(str, results))))
        for result in results.values():
            assert result.present == (result.score >= 0.5) and result.mask.dtype == bool
        if index == 3:
            session.remove(7)
    # an object's first frame gives its answer there (the given box), later frames the tracked one
    assert seen == [(0, ["7"]), (1, ["7"]), (2, ["7", "late"]), (3, ["7", "late"]), (4, ["late"])]
    assert session.ids == ["late"]


def test_ids_and_errors(model):
    frames = _frames(2)
    session = open_session(model)
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


def test_presence_follows_the_threshold_and_an_absent_object_widens_its_crop(model):
    frames = _frames(3)
    strict = open_session(model, presence_threshold=1.0, follow_threshold=1.0, lost_growth=2.0, **CROPS)
    strict.add(frames[0], (10, 20, 40, 30), "a")
    result = strict.update(frames[1])["a"]
    assert not result.present and strict.objects["a"].context == 4.0  # the crop doubled
    assert strict.objects["a"].box == (10.0, 20.0, 40.0, 30.0)  # searched for where it was last seen
    lenient = open_session(model, presence_threshold=0.0, **CROPS)
    lenient.add(frames[0], (10, 20, 40, 30), "a")
    assert lenient.update(frames[1])["a"].present and lenient.objects["a"].context == 2.0


def test_temporal_smoothness_rescores_the_candidates_by_their_masks(model):
    """The session's answer is the candidate with the best 0.6 score + 0.4 IoU(mask, previous answer)."""
    frames = _frames(3)
    session = open_session(model, smoothing=True)
    session.add(frames[0], (10, 20, 40, 30), "a")
    first = session.update(frames[1])["a"]
    previous = torch.from_numpy(first.mask)
    assert session.objects["a"].smoother.previous is not None
    second = session.update(frames[2])["a"]
    with torch.inference_mode():  # the same through the interface by hand
        encoded = model.encode(frame_to_tensor(frames[2]))
        found = model.candidates(encoded, session.objects["a"].template)[0]
        probs = model.masks(encoded, found.boxes, [0] * len(found.boxes))
    masks = paste_masks_in_image(probs[:, None], found.boxes, (120, 160))[:, 0] > 0.5
    rescored = 0.6 * found.scores + 0.4 * mask_iou(masks, previous)
    best = int(rescored.argmax())
    assert len(found.boxes) > 1
    assert second.score == pytest.approx(float(rescored[best]), abs=1e-5)
    assert np.array_equal(second.mask, masks[best].numpy())
    with pytest.raises(ValueError, match="smoothing .* needs masks=true"):
        open_session(model, smoothing=True, masks=False)


def test_sessions_neither_change_the_model_nor_each_other(model):
    frames = _frames(4)
    mine = copy.deepcopy(model).train()
    before = {k: v.clone() for k, v in mine.state_dict().items()}
    one, two = open_session(mine), open_session(mine, **CROPS)
    one.add(frames[0], (10, 20, 40, 30), "a")
    two.add(frames[0], (100, 70, 40, 30), "b")
    interleaved = [(one.update(f)["a"], two.update(f)["b"]) for f in frames[1:]]
    assert mine.training and all(p.is_contiguous() for p in mine.parameters())
    assert all(torch.equal(before[k], v) for k, v in mine.state_dict().items())
    alone_one, alone_two = open_session(mine), open_session(mine, **CROPS)
    alone_one.add(frames[0], (10, 20, 40, 30), "a")
    alone_two.add(frames[0], (100, 70, 40, 30), "b")
    for f, (a, b) in zip(frames[1:], interleaved):
        assert alone_one.update(f)["a"].box == pytest.approx(a.box, abs=1e-4)
    for f, (a, b) in zip(frames[1:], interleaved):
        assert alone_two.update(f)["b"].box == pytest.approx(b.box, abs=1e-4)


def test_the_family_tracks_the_papers_way_unless_told_otherwise(model):
    session = open_session(model)
    assert isinstance(session, TemplateTracker)
    settings = session.settings
    assert (settings.full_frame, settings.presence_threshold, settings.window_influence, settings.size_rate) == (True, 0.5, 0.0, 1.0)
    assert not settings.smoothing and Tracker(model, smoothing=True).session.settings.smoothing


def test_multitracker_settings_are_read_by_one_rule():
    """Checkpoints and recipes written for MultiTracker, the family's former session, still load."""
    stored = TrackingSettings.from_mapping({"search_region": 250, "context": 4.0, "presence_threshold": 0.4, "search_skip_levels": 1})
    assert (stored.full_frame, stored.search_size, stored.context) == (False, 256, 2.0)
    assert (stored.presence_threshold, stored.follow_threshold, stored.lost_growth) == (0.4, 0.4, 2.0)
    assert (stored.window_influence, stored.scale_penalty, stored.size_rate) == (0.0, 0.0, 1.0)  # MultiTracker's defaults
    assert TrackingSettings.from_mapping({"refresh_every": 10}).full_frame  # search_region 0 by default: whole frames
    # overrides change only what they name
    changed = TrackingSettings(context=3.0).updated(search_region=0)
    assert changed.full_frame and changed.context == 3.0
    with pytest.raises(ValueError, match="checkpoint: search_proposals must be an integer >= 0, got -1"):
        TrackingSettings.from_mapping({"search_proposals": -1}, "checkpoint")
    with pytest.raises(ValueError, match="context must be a number > 2 in MultiTracker's settings"):
        TrackingSettings.from_mapping({"search_region": 128, "context": 1.5})
