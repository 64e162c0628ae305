"""identity_weight (tracking/session.py, _challenge): a doubted winner is compared with its
distinct rivals by ranking score and confidence. Real model, real pixels: uav123_more group1_3,
a walking group seen from a drone, where the motion prior alone hands the track to a neighbour."""

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.ops import box_iou

import dettrack
from dettrack.model.interface import Candidates
from dettrack.tracking.inputs import frame_to_tensor
from dettrack.tracking.session import TemplateTracker, Tracker, _Pick
from conftest import shared_path

GROUP = shared_path("data", "uav123_more", "group1_3")
FRAMES = 61
SWITCH = 48  # from here on the motion prior alone answers a neighbour (the box drifts towards it from frame 38)


def frame(index: int) -> np.ndarray:
    return np.array(Image.open(GROUP / f"{index + 1:06d}.jpg").convert("RGB"))


def xyxy(box) -> torch.Tensor:
    x, y, w, h = (float(v) for v in box)
    return torch.tensor([[x, y, x + w, y + h]])


@pytest.fixture(scope="module")
def overlaps() -> dict[float, list[float]]:
    """IoU with the truth of every answer on frames 1 to FRAMES - 1, with and without rivals."""
    truth = np.loadtxt(GROUP / "groundtruth.txt", delimiter=",")
    frames = [frame(i) for i in range(FRAMES)]
    model = dettrack.load_model("pretrained")
    found = {}
    for weight in (0.0, model.tracking_defaults["identity_weight"]):
        tracker = Tracker(model, identity_weight=weight)
        tracker.init(frames[0], truth[0])
        answers = [tracker.update(f) for f in frames[1:]]
        found[weight] = [float(box_iou(xyxy(a.box), xyxy(t))) for a, t in zip(answers, truth[1:FRAMES])]
    return found


def test_the_shipped_tracker_compares_rivals():
    assert dettrack.load_model("pretrained").tracking_defaults["identity_weight"] > 0


def test_without_rivals_a_neighbour_takes_the_track(overlaps):
    """The baseline this setting exists for: the motion prior alone follows another person."""
    assert max(overlaps[0.0][SWITCH - 1 :]) < 0.1
    assert min(overlaps[0.0][:30]) > 0.5  # right until the group closes up


def test_rivals_keep_the_person(overlaps):
    """With the shipped weight the doubted neighbour loses to the person, who is taken back and kept."""
    shipped = next(w for w in overlaps if w)
    assert min(overlaps[shipped][SWITCH - 1 :]) > 0.5
    assert np.mean(overlaps[shipped]) > np.mean(overlaps[0.0]) + 0.1


def two_copies() -> tuple[np.ndarray, tuple[int, ...], tuple[int, ...]]:
    """group1_3's first frame with its person pasted a second time 120 px to the right: two
    identical objects, and their (x, y, w, h) boxes."""
    image = frame(0).copy()
    x, y, w, h = (int(round(v)) for v in np.loadtxt(GROUP / "groundtruth.txt", delimiter=",")[0])
    image[y : y + h, x + 120 : x + 120 + w] = image[y : y + h, x : x + w]
    return image, (x, y, w, h), (x + 120, y, w, h)


@pytest.mark.parametrize("other_sure", [False, True])
def test_a_rival_another_object_answers_without_doubt_is_not_taken(other_sure):
    """Object a's doubted winner is background and its one rival is the copy that object b
    answers: the rival takes a's answer only while b's own answer is doubted too (two tracks
    do not swap onto one object). Real identities and appearance, crafted candidates."""
    image, a, b = two_copies()
    session = TemplateTracker(dettrack.load_model("pretrained"))
    session.add(image, a, obj_id="a")
    session.add(image, b, obj_id="b")
    tensor = frame_to_tensor(image)
    with torch.inference_mode():
        encoded = session.model.encode(tensor)
        background, copy = torch.tensor([20.0, 20.0, 40.0, 60.0]), xyxy(b)[0]
        found = [Candidates(torch.stack([background, copy]), torch.tensor([0.9, 0.8])), Candidates(copy[None], torch.tensor([0.9]))]
        ranks = [torch.tensor([1.0, 0.95]), torch.tensor([1.0])]
        picks = [_Pick(background, 0.9, 0.9, 0.05), _Pick(copy, 0.9, 0.9, 0.9 if other_sure else 0.3)]
        objects = [session.objects["a"], session.objects["b"]]
        session._challenge(tensor, encoded, objects, found, ranks, picks, encoded.inputs_of(2))
    taken = torch.equal(picks[0].box, copy)
    assert taken != other_sure
    if taken:
        assert picks[0].confidence > 0.5  # the copy looks like a: why it would win


@pytest.mark.parametrize("a_lost, b_lost", [(True, False), (False, False), (True, True)])
def test_a_lost_object_leaves_a_present_objects_winner_alone(a_lost, b_lost):
    """Object a's winner is the copy object b answers: when a was absent on the last frame (lost,
    its search widened) and b present, a stays absent this frame; when a was present, or b was
    lost too, both answers stand (who is right is then the rivals' and identities' question)."""
    image, a, b = two_copies()
    session = TemplateTracker(dettrack.load_model("pretrained"))
    session.add(image, a, obj_id="a")
    session.add(image, b, obj_id="b")
    objects = [session.objects["a"], session.objects["b"]]
    objects[0].absent_run, objects[1].absent_run = int(a_lost) * 3, int(b_lost) * 3
    copy = xyxy(b)[0]
    picks = [_Pick(copy + 2.0, 0.9, 0.9, 0.6), _Pick(copy, 0.9, 0.9, 0.8)]
    session._leave_owned(objects, picks)
    assert (picks[0] is None) == (a_lost and not b_lost)
    assert picks[1] is not None
