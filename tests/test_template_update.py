"""The session's template update: a running average of the templates the model makes on its own
present answers, for both families, on one crop or many."""

import numpy as np
import pytest
import torch

from dettrack.crops import search_window
from dettrack.eval.metrics.overlap import iou_xywh
from dettrack.model.light.spatial import FILTER_STRIDE, solve_filter
from dettrack.tracking import frame_to_tensor
from dettrack.tracking.session import TemplateTracker
from dettrack.tracking.settings import TrackingSettings

from conftest import small_model

CROP = dict(search_size=320, context=1.95, masks=False)


def test_settings_are_validated():
    with pytest.raises(ValueError, match="template_update must be a number in \\[0, 1\\]"):
        TrackingSettings(template_update=1.5)
    with pytest.raises(ValueError, match="update_every must be an integer >= 1"):
        TrackingSettings(update_every=0)


def test_light_update_moves_the_spatial_filter_alone(light, camel):
    """After one present answer the filter part is lerp(first, the filter solved on the search crop's
    answer, rate); T_d and the class profile stay the template frame's."""
    frames, boxes = camel
    rate = 0.25
    session = TemplateTracker(light, TrackingSettings(template_update=rate, size_rate=1.0, **CROP))
    session.add(frames[0], boxes[0], "camel")
    first = session.objects["camel"].template.clone()
    result = session.update(frames[1])["camel"]
    assert result.present
    x, y, w, h = result.box
    window = search_window(tuple(float(v) for v in boxes[0]), CROP["context"], frames[1].shape[:2])
    with torch.inference_mode():
        encoded = light.encode(frame_to_tensor(frames[1]), [window], CROP["search_size"])
        box = encoded.to_input(torch.tensor([[x, y, x + w, y + h]]))[0]
        fresh = solve_filter(encoded.features[str(FILTER_STRIDE)][0], box)
    start = light.detector.neck.out_channels
    end = start + len(fresh)
    updated = session.objects["camel"].template
    torch.testing.assert_close(updated[0, start:end], torch.lerp(first[0, start:end], fresh, rate), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(updated[0, :start], first[0, :start], rtol=0, atol=0)
    torch.testing.assert_close(updated[0, end:], first[0, end:], rtol=0, atol=0)
    assert not torch.allclose(updated[0, start:end], first[0, start:end])


def test_templates_of_many_crops_read_each_box_on_its_own_crop(light, camel):
    frames, boxes = camel
    image = frame_to_tensor(frames[0])
    xywh = [tuple(float(v) for v in boxes[0]), (100.0, 50.0, 80.0, 60.0)]
    windows = [search_window(b, 4.0, frames[0].shape[:2]) for b in xywh]
    xyxy = torch.tensor([[x, y, x + w, y + h] for x, y, w, h in xywh])
    with torch.inference_mode():
        together = light.make_template(light.encode(image, windows, 320).select([0, 1]), xyxy)
        apart = torch.cat([light.make_template(light.encode(image, [w], 320), b[None]) for w, b in zip(windows, xyxy)])
    assert torch.nn.functional.cosine_similarity(together, apart).min() > 0.9


def test_answers_below_the_update_threshold_and_frames_between_updates_keep_the_template(light, camel):
    frames, boxes = camel
    never = TemplateTracker(light, TrackingSettings(template_update=0.5, update_threshold=1.0, **CROP))
    never.add(frames[0], boxes[0])
    first = never.objects[0].template.clone()
    for frame in frames[1:4]:
        assert never.update(frame)[0].present  # present (by its identity), yet the network's own score is below 1
    torch.testing.assert_close(never.objects[0].template, first, rtol=0, atol=0)

    every_third = TemplateTracker(light, TrackingSettings(template_update=0.5, update_every=3, **CROP))
    every_third.add(frames[0], boxes[0])
    changes, last = 0, every_third.objects[0].template.clone()
    for frame in frames[1:7]:
        every_third.update(frame)
        changes += int(not torch.equal(every_third.objects[0].template, last))
        last = every_third.objects[0].template.clone()
    assert changes == 2


def test_many_objects_update_from_their_own_crops(light, camel):
    """Updating on a shared pass over many crops gives each object its own template, as a session of its own does."""
    frames, boxes = camel
    other = (100.0, 50.0, 80.0, 60.0)  # a patch of background as a second object
    settings = TrackingSettings(template_update=0.5, update_threshold=0.0, **CROP)
    together = TemplateTracker(light, settings)
    together.add(frames[0], boxes[0], "camel")
    together.add(frames[0], other, "patch")
    alone = TemplateTracker(light, settings)
    alone.add(frames[0], boxes[0], "camel")
    for frame in frames[1:6]:
        both, single = together.update(frame), alone.update(frame)
        assert iou_xywh(np.array([both["camel"].box]), np.array([single["camel"].box]))[0] > 0.8
    camel, patch = together.objects["camel"].template, together.objects["patch"].template
    assert torch.nn.functional.cosine_similarity(camel, alone.objects["camel"].template).item() > 0.95
    assert torch.nn.functional.cosine_similarity(camel, patch).item() < 0.9


def test_mask_rcnn_family_updates_on_whole_frames():
    torch.manual_seed(0)
    model = small_model(track_score_thresh=0.0).eval()
    rng = np.random.default_rng(1)
    frames = []
    for t in range(3):
        frame = rng.integers(0, 80, size=(120, 160, 3), dtype=np.uint8)
        frame[20:50, 10 + 5 * t : 50 + 5 * t] = 200
        frames.append(frame)
    settings = TrackingSettings(full_frame=True, template_update=0.5, update_threshold=0.0, size_rate=1.0, masks=False)
    session = TemplateTracker(model, settings)
    session.add(frames[0], (10, 20, 40, 30))
    first = session.objects[0].template.clone()
    x, y, w, h = session.update(frames[1])[0].box
    with torch.inference_mode():
        fresh = model.make_template(model.encode(frame_to_tensor(frames[1])), torch.tensor([[x, y, x + w, y + h]]))
    template = session.objects[0].template
    torch.testing.assert_close(template, torch.lerp(first, fresh, 0.5), atol=1e-4, rtol=1e-4)
    assert not torch.allclose(template, first)
