"""The light family as a tracker: settings, the TemplateTracker session, and its training losses."""

import copy

import numpy as np
import pytest
import torch

from dettrack.eval.metrics.overlap import iou_xywh
from dettrack.model.light import build_light_model
from dettrack.tracking.session import TemplateTracker, open_session
from dettrack.tracking.settings import TrackingSettings

from conftest import shared_path, small_model


def test_settings_are_validated_with_their_names():
    with pytest.raises(ValueError, match="presence_threshold must be a number in \\[0, 1\\]"):
        TrackingSettings(presence_threshold=1.5)
    with pytest.raises(ValueError, match="search_size must be an integer multiple of 32"):
        TrackingSettings(search_size=300)
    with pytest.raises(ValueError, match="context must be > 1"):
        TrackingSettings(context=0.5)
    with pytest.raises(ValueError, match="recipe: unknown setting\\(s\\) search_area"):
        TrackingSettings.from_mapping({"search_area": 256}, "recipe")
    settings = TrackingSettings.from_mapping({"context": 3.0})
    assert settings.context == 3.0 and settings.updated(context=None, size_rate=0.2).size_rate == 0.2


def test_untrained_light_tracker_follows_a_real_object(light, camel):
    frames, boxes = camel
    session = TemplateTracker(light, TrackingSettings(search_size=320, context=1.95, masks=False))
    session.add(frames[0], boxes[0], "camel")
    found = [session.update(frame)["camel"] for frame in frames[1:]]
    ious = iou_xywh(np.array([r.box for r in found]), boxes[1:])
    assert ious.mean() > 0.6, ious
    assert all(r.present and r.mask is None for r in found)


def test_masks_come_at_frame_size(light, camel):
    frames, boxes = camel
    session = TemplateTracker(light, TrackingSettings(search_size=320, context=1.95))
    session.add(frames[0], boxes[0])
    result = session.update(frames[1])[0]
    assert result.mask.shape == frames[1].shape[:2] and result.mask.dtype == bool


def test_objects_in_one_session_are_found_as_by_separate_sessions(light, camel):
    """Many objects share one pyramid over the region holding their crops (when that is cheaper
    than one crop each); the answers stay those of separate sessions, up to resampling."""
    frames, boxes = camel
    other = (100.0, 50.0, 80.0, 60.0)  # a patch of background as a second object
    settings = TrackingSettings(search_size=320, context=1.95, masks=False)
    together = TemplateTracker(light, settings)
    together.add(frames[0], boxes[0], "camel")
    together.add(frames[0], other, "patch")
    alone = {name: TemplateTracker(light, settings) for name in ("camel", "patch")}
    alone["camel"].add(frames[0], boxes[0], "camel")
    alone["patch"].add(frames[0], other, "patch")
    for frame in frames[1:4]:
        both = together.update(frame)
        for name, session in alone.items():
            single = session.update(frame)[name]
            assert iou_xywh(np.array([both[name].box]), np.array([single.box]))[0] > 0.8
            if name == "camel":  # the background patch's score means nothing; the camel's must hold
                assert abs(both[name].score - single.score) < 0.1


def test_objects_started_together_are_found_as_when_started_alone(light, camel):
    """start() builds the templates of objects of about one scale from one pass over their template
    crops: each one's spatial filter and class profile stay those of its own crop, and each object
    is found where a session of its own finds it. (T_d moves more: outside the frame the shared
    pass holds no features where a crop holds black, as the searches' shared passes do.)"""
    frames, boxes = camel
    settings = TrackingSettings(search_size=320, context=1.95, template_context=4.0, masks=False)
    shifted = (boxes[0][0] + 30.0, boxes[0][1] + 10.0, boxes[0][2], boxes[0][3])  # the same scale, another place
    together = TemplateTracker(light, settings)
    together.start(frames[0], {"camel": boxes[0], "beside": shifted})
    templates = {name: obj.template for name, obj in together.objects.items()}
    answers = [together.update(frame) for frame in frames[1:4]]
    for name, box in (("camel", boxes[0]), ("beside", shifted)):
        alone = TemplateTracker(light, settings)
        alone.start(frames[0], {name: box})
        for part in ("filter", "profile"):
            own, shared = light.layout.part(alone.objects[name].template, part)[0], light.layout.part(templates[name], part)[0]
            assert torch.nn.functional.cosine_similarity(own, shared, dim=0) > 0.9
        for frame, both in zip(frames[1:4], answers):
            assert iou_xywh(np.array([both[name].box]), np.array([alone.update(frame)[name].box]))[0] > 0.8


def test_shared_pyramid_matches_separate_crops(light, camel):
    frames, boxes = camel
    image = torch.from_numpy(frames[3].copy()).permute(2, 0, 1).float() / 255
    x, y, w, h = boxes[3]
    side = 300
    windows = [(round(x + w / 2 - side / 2) + dx, round(y + h / 2 - side / 2), side) for dx in (-20, 0, 20)]
    box = torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32)
    with torch.inference_mode():
        shared = light.encode(image, windows, 320)
        assert shared.passes is not None and len({id(p.features) for p in shared.passes}) == 1  # one pass for all three
        assert sorted(int(k) for k in shared.features) == light.track_strides  # only what the candidates read is cut out
        shared_masks = light.masks(shared, box.expand(3, 4), [0, 1, 2])
        shared_template = light.make_template(shared, box.expand(3, 4))
        for index, window in enumerate(windows):
            alone = light.encode(image, [window], 320)
            for key in shared.features:
                a, b = alone.features[key][0], shared.features[key][index]
                assert a.shape == b.shape
                inner = (slice(None), slice(2, -2), slice(2, -2))  # away from the crop's padded border
                assert torch.nn.functional.cosine_similarity(a[inner].flatten(), b[inner].flatten(), dim=0) > 0.9
            mask = light.masks(alone, box)[0]
            agreement = torch.corrcoef(torch.stack([mask.flatten(), shared_masks[index].flatten()]))[0, 1]
            assert agreement > 0.7  # an untrained mask head, resampled differently: about what separate cut-outs gave
            template = light.make_template(alone, box)
            for part in ("td", "filter", "profile"):
                a, b = light.layout.part(template, part)[0], light.layout.part(shared_template, part)[index]
                assert torch.nn.functional.cosine_similarity(a, b, dim=0) > 0.9
            # the verifier is a ridge solution over resampled stride-8 cells: its weights move more, its answer holds
            assert 0.7 < float(light.verify(shared, box, shared_template[index : index + 1], [index])) < 1.3


def test_windows_of_different_scales_go_through_as_crops_in_the_windows_order(light, camel):
    frames, boxes = camel
    image = torch.from_numpy(frames[3].copy()).permute(2, 0, 1).float() / 255
    windows = [(40, 30, 300), (200, 60, 120), (60, 40, 310)]  # the middle one at another scale: a crop of its own
    with torch.inference_mode():
        encoded = light.encode(image, windows, 320)
        alone = light.encode(image, [windows[1]], 320)
    assert encoded.passes[0].features is encoded.passes[2].features is not encoded.passes[1].features
    for key in encoded.features:
        torch.testing.assert_close(encoded.features[key][1], alone.features[key][0], rtol=1e-4, atol=1e-4)


def test_session_never_changes_the_callers_model(light, camel):
    frames, boxes = camel
    model = copy.deepcopy(light).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    session = TemplateTracker(model, TrackingSettings(search_size=320, context=1.95, masks=False))
    session.add(frames[0], boxes[0])
    session.update(frames[1])
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_open_session_serves_both_families(light):
    assert isinstance(open_session(light), TemplateTracker) and not open_session(light).settings.full_frame
    assert isinstance(open_session(small_model()), TemplateTracker) and open_session(small_model()).settings.full_frame


def _pair(camel):
    frames, boxes = camel
    template = torch.from_numpy(frames[0].copy()).permute(2, 0, 1).float() / 255
    search = torch.from_numpy(frames[8].copy()).permute(2, 0, 1).float() / 255
    x, y, w, h = boxes[0]
    sx, sy, sw, sh = boxes[8]
    target = {"boxes": torch.tensor([[sx, sy, sx + sw, sy + sh]], dtype=torch.float32), "labels": torch.ones(1, dtype=torch.int64)}
    return [search], [target], [template], torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32)


def test_tracking_losses_fall_when_trained_on_a_pair(camel):
    model = build_light_model(str(shared_path("weights", "nanodet_m.onnx")), input_size=256).train()
    searches, targets, templates, boxes = _pair(camel)
    params = [p for n, p in model.named_parameters() if n.startswith(("detector.head", "objectness"))]
    optimizer = torch.optim.Adam(params, lr=1e-3)
    totals, filter_terms = [], []
    for _ in range(6):
        torch.manual_seed(0)  # the same search crop every step
        losses = model(searches, targets, template_images=templates, template_boxes=boxes)
        assert set(losses) == {"loss_track_cls", "loss_track_box", "loss_track_dfl", "loss_track_filter"}
        filter_terms.append(float(losses.pop("loss_track_filter").detach()))
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(float(total.detach()))
    assert totals[-1] < 0.8 * totals[0], totals
    assert filter_terms[-1] == pytest.approx(filter_terms[0], rel=1e-5)  # the filter reads the pyramid, not the head


def test_detection_batches_distil_from_the_original_detector(camel):
    model = build_light_model(str(shared_path("weights", "nanodet_m.onnx")), input_size=256).train()
    frames, boxes = camel
    image = torch.from_numpy(frames[0].copy()).permute(2, 0, 1).float() / 255
    target = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    same = model([image], [target])
    assert abs(float(same["loss_distill_cls"].detach())) < 1e-4 and float(same["loss_distill_box"].detach()) < 1e-4
    with torch.no_grad():
        model.detector.head.predictors[0].weight.mul_(1.5)
    moved = model([image], [target])
    assert float(moved["loss_distill_cls"].detach()) > 1e-3 and float(moved["loss_distill_box"].detach()) > 1e-3
