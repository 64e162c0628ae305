"""The identity verifier (model/light/verifier.py) and the confidence the session reports from it."""

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.ops import box_iou

import dettrack
from dettrack.crops import search_window
from dettrack.model.light.verifier import sample_boxes
from dettrack.model.template import solve_verifier
from dettrack.tracking.session import TemplateTracker, _sizes
from dettrack.tracking.settings import TrackingSettings

from conftest import shared_path


def _unit(x):
    return x / x.norm(dim=1, keepdim=True)


def test_the_ridge_answers_one_on_positives_and_about_zero_on_the_rest():
    torch.manual_seed(0)
    centre, clutter = torch.randn(64), torch.randn(64)
    positives = _unit(centre + 0.3 * torch.randn(20, 64))
    negatives = _unit(clutter + 1.0 * torch.randn(200, 64))
    weights = solve_verifier(positives, negatives)
    assert (positives @ weights).mean() == pytest.approx(1.0, abs=1e-5)  # calibrated on its positives
    assert (negatives @ weights).abs().mean() < 0.2
    fresh_object, fresh_clutter = _unit(centre + 0.3 * torch.randn(50, 64)), _unit(clutter + 1.0 * torch.randn(50, 64))
    assert (fresh_object @ weights).mean() > 0.6 and (fresh_clutter @ weights).mean() < 0.3


def test_samples_shift_the_box_and_keep_negatives_off_the_object():
    box = torch.tensor([100.0, 120.0, 180.0, 220.0])
    others = torch.tensor([[102.0, 118.0, 182.0, 222.0], [10.0, 10.0, 60.0, 70.0]])  # the object itself, and another
    positives, negatives = sample_boxes(box, 320, others)
    assert torch.equal(positives[0], box) and box_iou(positives, box[None]).min() > 0.6
    assert box_iou(negatives, box[None]).max() < 0.3
    assert any(torch.equal(n, others[1]) for n in negatives) and not any(torch.equal(n, others[0]) for n in negatives)


def _template_and_frame6(light, camel):
    """The camel's template from frame 0, and frame 6 as a [3, H, W] tensor in [0, 1]."""
    frames, boxes = camel
    session = TemplateTracker(light, TrackingSettings(search_size=320, context=1.95, masks=False))
    session.add(frames[0], boxes[0], "camel")
    return session.objects["camel"].template, torch.from_numpy(frames[6].copy()).permute(2, 0, 1).float() / 255


def test_identity_tells_the_object_from_its_surroundings(light, camel):
    frames, boxes = camel
    template, image = _template_and_frame6(light, camel)
    x, y, w, h = boxes[6]
    side = int(3 * max(w, h))
    window = (int(x + w / 2 - side / 2), int(y + h / 2 - side / 2), side)
    with torch.inference_mode():
        encoded = light.encode(image, [window], 320)
        box = torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32)
        away = torch.cat([box + torch.tensor([dx * w, 0.0, dx * w, 0.0]) for dx in (-1.2, 1.2)])
        own = float(light.verify(encoded, box, template))
        others = light.verify(encoded, away, template.expand(2, -1))
    assert own > 0.6 and float(others.max()) < 0.5 * own, (own, others)


def test_a_look_alike_of_the_same_class_answers_lower():
    """Two giraffes in one COCO photo: the template of one, then the photo shifted and rescaled (a next frame)."""
    model = dettrack.load_model("pretrained")
    photo = np.asarray(Image.open(shared_path("data", "coco128", "train2017", "000000000136.jpg")).convert("RGB"))
    first, second = np.array([82, 116, 186, 253], float), np.array([317, 132, 128, 164], float)
    session = TemplateTracker(model)
    session.add(photo, first, "giraffe")
    template = session.objects["giraffe"].template
    crop = photo[20:, 30:]
    frame = np.asarray(Image.fromarray(crop).resize((round(crop.shape[1] * 0.9), round(crop.shape[0] * 0.9))))
    moved = [(b + [-30, -20, 0, 0]) * 0.9 for b in (first, second)]
    image = torch.from_numpy(frame.copy()).permute(2, 0, 1).float() / 255
    with torch.inference_mode():
        window = search_window(tuple(moved[0]), 1.95, frame.shape[:2])  # the session's search crop: both giraffes in it
        encoded = model.encode(image, [window], 320)
        xyxy = torch.tensor([[x, y, x + w, y + h] for x, y, w, h in moved], dtype=torch.float32)
        identity = model.verify(encoded, xyxy, template.expand(2, -1))
    assert float(identity[0]) > 0.6 and float(identity[1]) < 0.3, identity  # the other giraffe was a negative on the template frame


def test_the_session_reports_identity_or_presence(light, camel):
    frames, boxes = camel
    settings = TrackingSettings(search_size=320, context=1.95, masks=False)
    found = {}
    for confidence in ("identity", "presence"):
        session = TemplateTracker(light, settings, confidence=confidence)
        session.add(frames[0], boxes[0], "camel")
        found[confidence] = [session.update(frame)["camel"] for frame in frames[1:6]]
    for a, b in zip(*found.values()):
        assert a.box == pytest.approx(b.box)  # the same winners: only the reported confidence differs
        assert 0.0 <= a.score <= 1.0 and a.score != pytest.approx(b.score)
    assert np.mean([r.score for r in found["identity"]]) > 0.6
    with pytest.raises(ValueError, match="confidence must be one of identity, presence"):
        TrackingSettings(confidence="similarity")
    with pytest.raises(ValueError, match="identity_weight must be a number in \\[0, 1\\]"):
        TrackingSettings(identity_weight=2)


def test_identity_is_highest_at_the_objects_own_size(light, camel):
    """What size_check relies on: at the object's centre, its own box looks more like it than a box
    twice as large (the object with its surroundings) or half as large (a part)."""
    frames, boxes = camel
    template, image = _template_and_frame6(light, camel)
    x, y, w, h = boxes[6]
    with torch.inference_mode():
        encoded = light.encode(image, [search_window(tuple(boxes[6]), 1.95, frames[6].shape[:2])], 320)
        cx, cy = x + w / 2, y + h / 2
        sized = torch.tensor([[cx - s * w / 2, cy - s * h / 2, cx + s * w / 2, cy + s * h / 2] for s in (1.0, 2.0, 0.5)], dtype=torch.float32)
        identity = light.verify(encoded, sized, template.expand(3, -1))
    # the own size wins; the box grown onto the surroundings (the failure size_check stops) by far
    assert int(identity.argmax()) == 0 and float(identity[1]) < 0.5 * float(identity[0]), identity


def test_size_candidates_share_the_winners_centre():
    winner = torch.tensor([100.0, 50.0, 140.0, 130.0])  # 40 x 80 at (120, 90)
    boxes = _sizes(winner, (0.0, 0.0, 10.0, 20.0))  # the last answer was 10 x 20
    assert torch.allclose((boxes[:, :2] + boxes[:, 2:]) / 2, torch.tensor([120.0, 90.0]).expand(3, 2))
    assert torch.allclose(boxes[:, 2:] - boxes[:, :2], torch.tensor([[40.0, 80.0], [20.0, 40.0], [10.0, 20.0]]))


def test_size_check_keeps_the_answer_on_the_object(light, camel):
    frames, boxes = camel
    settings = TrackingSettings(search_size=320, context=1.95, masks=False, size_check=1000.0)
    session = TemplateTracker(light, settings)
    session.add(frames[0], boxes[0], "camel")
    ious = []
    for frame, gt in zip(frames[1:8], boxes[1:8]):
        answer = session.update(frame)["camel"]
        assert answer.present and answer.score > 0.5
        (x, y, w, h), (gx, gy, gw, gh) = answer.box, gt
        ious.append(float(box_iou(torch.tensor([[x, y, x + w, y + h]]), torch.tensor([[gx, gy, gx + gw, gy + gh]]))))
    assert min(ious) > 0.5, ious
    with pytest.raises(ValueError, match="size_check must be a number of pixels >= 0"):
        TrackingSettings(size_check=-1)
