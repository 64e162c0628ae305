"""The appearance verifier (model/appearance.py): an ImageNet MobileNetV2's view of a box, a ridge
against its template frame, mixed into the confidence by appearance_weight. Real weights, real pixels."""

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.ops import box_iou

import dettrack
from dettrack.cli import main
from dettrack.pretrained import pretrained_path
from dettrack.model.appearance import AppearanceVerifier, sample_boxes
from dettrack.tracking.inputs import frame_to_tensor
from dettrack.tracking.settings import TrackingSettings
from conftest import shared_path

WEIGHTS = shared_path("weights", "mobilenet_v2_imagenet.pt")
CAR10 = shared_path("data", "uav123_more", "car10")


def frame(index: int) -> np.ndarray:
    return np.array(Image.open(CAR10 / f"{index + 1:06d}.jpg").convert("RGB"))


def truth() -> np.ndarray:
    return np.loadtxt(CAR10 / "groundtruth.txt", delimiter=",")


def xyxy(box) -> torch.Tensor:
    x, y, w, h = (float(v) for v in box)
    return torch.tensor([x, y, x + w, y + h])


@pytest.fixture(scope="module")
def verifier() -> AppearanceVerifier:
    found = AppearanceVerifier()
    found.load_imagenet(str(WEIGHTS))
    return found.eval()


@pytest.fixture(scope="module")
def shipped_with_appearance():
    model = dettrack.load_model("pretrained")
    if getattr(model, "appearance", None) is None:
        model.add_appearance(str(WEIGHTS))
    return model


def test_the_object_later_answers_high_and_the_rest_of_the_frame_low(verifier):
    """Solved on car10's first frame, the car 40 frames later looks like itself, and boxes of its
    size elsewhere in that frame do not."""
    boxes = truth()
    weights = verifier.solve(frame_to_tensor(frame(0)), xyxy(boxes[0]))[None]
    later = frame_to_tensor(frame(40))
    car = xyxy(boxes[40])
    w, h = float(car[2] - car[0]), float(car[3] - car[1])
    elsewhere = torch.tensor([[x, y, x + w, y + h] for x in (40.0, 300.0, 560.0) for y in (30.0, 300.0)])
    assert box_iou(elsewhere, car[None]).max() < 0.1
    answers = verifier.identity(later, torch.cat([car[None], elsewhere]), weights)[0]
    assert answers[0] > 0.6, answers
    assert answers[1:].max() < 0.3, answers


def test_objects_added_together_are_each_others_negatives_and_share_the_grid(verifier, monkeypatch):
    image = frame_to_tensor(frame(0))
    car = xyxy(truth()[0])
    other = torch.tensor([176.0, 112.0, 199.0, 131.0])  # of the car's size: the frame's most car-like box away from it
    alone = verifier.solve(image, car)
    assert torch.equal(alone, verifier.solve(image, car[None])[0])  # one object: exactly its own samples
    assert verifier.identity(image, other[None], alone[None])[0, 0] > 0.3
    described = []
    describe = verifier.describe
    monkeypatch.setattr(verifier, "describe", lambda im, boxes: described.append(len(boxes)) or describe(im, boxes))
    together = verifier.solve(image, torch.stack([car, other]))
    separately = sum(len(torch.cat(sample_boxes(box, image.shape[-2:]))) for box in (car, other))
    assert described == [described[0]] and described[0] < 0.6 * separately  # one grid for two objects of one size
    answers = verifier.identity(image, torch.stack([car, other]), together)
    assert answers[0, 0] > 0.8 and answers[1, 1] > 0.8, answers  # each is itself
    assert answers[0, 1] < 0.15 and answers[1, 0] < 0.15, answers  # and not the other


def test_positives_answer_one_on_average_and_negatives_avoid_the_object(verifier):
    image = frame_to_tensor(frame(0))
    box = xyxy(truth()[0])
    positives, negatives = sample_boxes(box, image.shape[-2:])
    assert len(positives) == 9 and len(negatives) > 30
    assert box_iou(negatives, box[None]).max() < 0.3
    weights = verifier.solve(image, box)
    described = verifier.describe(image, positives)
    assert abs(float((described @ weights).mean()) - 1.0) < 1e-4


def test_onnxruntime_and_torch_give_the_same_descriptors(verifier):
    image = frame_to_tensor(frame(10))
    boxes = torch.stack([xyxy(truth()[10]), torch.tensor([0.0, 0.0, 80.0, 60.0])])
    with torch.inference_mode():
        fast = verifier.describe(image, boxes)
        verifier.runtime = "torch"
        try:
            slow = verifier.describe(image, boxes)
        finally:
            verifier.runtime = "onnxruntime"
    assert fast.shape == (2, 1280 + 96 * 4)
    assert torch.allclose(fast, slow, atol=1e-4)


def test_the_confidence_is_the_mix_and_the_boxes_do_not_change(shipped_with_appearance):
    """appearance_weight changes what an answer reports, not where the box goes; its confidence is
    (1 - w) x identity + w x the appearance verifier's answer for the same box."""
    model = shipped_with_appearance
    boxes = truth()
    runs = {}
    for weight in (0.0, 0.5, 1.0):
        tracker = dettrack.Tracker(model, appearance_weight=weight)
        tracker.init(frame(0), tuple(boxes[0]))
        runs[weight] = [tracker.update(frame(i)) for i in range(1, 8)]
    for a, b, c in zip(runs[0.0], runs[0.5], runs[1.0]):
        assert np.allclose(a.box, b.box) and np.allclose(a.box, c.box)
        assert b.score == pytest.approx(0.5 * a.score + 0.5 * c.score, abs=1e-5)
    assert any(abs(a.score - c.score) > 0.01 for a, c in zip(runs[0.0], runs[1.0]))


def test_identities_of_boxes_mix_the_appearance_too(shipped_with_appearance):
    model = shipped_with_appearance
    boxes = truth()
    scores = {}
    for weight in (0.0, 1.0):
        session = dettrack.TemplateTracker(model, appearance_weight=weight)
        session.add(frame(0), tuple(boxes[0]), obj_id="car")
        scores[weight] = session.identities(frame(30), [tuple(boxes[30]), (20.0, 20.0, 22.0, 19.0)], ["car"])[0]
    assert scores[1.0][0] > 0.6 and scores[1.0][1] < 0.3
    assert not torch.allclose(scores[0.0], scores[1.0])


def test_bad_weights_and_settings_are_named(tmp_path, verifier):
    with pytest.raises(FileNotFoundError, match="nowhere.pt"):
        AppearanceVerifier().load_imagenet(str(tmp_path / "nowhere.pt"))
    other = tmp_path / "other.pt"
    torch.save({"weight": torch.zeros(3)}, other)
    with pytest.raises(ValueError, match="not MobileNetV2 weights"):
        AppearanceVerifier().load_imagenet(str(other))
    with pytest.raises(ValueError, match="appearance_weight"):
        TrackingSettings(appearance_weight=1.5)


def test_export_adds_the_verifier_and_the_file_restores_it(tmp_path, capsys):
    out = tmp_path / "with_appearance.pt"
    argv = ["export", str(pretrained_path()), str(out), "--appearance", str(WEIGHTS), "--tracking", "appearance_weight=0.5", "--quiet"]
    assert main(argv) == 0
    model = dettrack.load_model(str(out))
    assert model.config["appearance"] is True and model.tracking_defaults["appearance_weight"] == 0.5
    reference = AppearanceVerifier()
    reference.load_imagenet(str(WEIGHTS))
    for name, tensor in reference.state_dict().items():
        assert torch.equal(model.appearance.state_dict()[name], tensor), name
    capsys.readouterr()
    assert main(["export", str(pretrained_path()), str(tmp_path / "x.pt"), "--appearance", str(tmp_path / "none.pt")]) == 2
    assert "none.pt" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()
