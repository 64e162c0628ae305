"""identity_weight (tracking/session.py, _challenge): a doubted winner is compared with its
distinct rivals by ranking score and confidence. Real model, real pixels: uav123_more group1_3,
a walking group seen from a drone, where the motion prior alone hands the track to a neighbour."""

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.ops import box_iou

import dettrack
from dettrack.tracking.session import Tracker
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
