"""The model shipped inside the package loads with no download and tracks a held-out object."""

import numpy as np
import pytest

import dettrack
from dettrack.data import open_dataset
from dettrack.eval.metrics.overlap import iou_xywh
from dettrack.pretrained import has_pretrained

from conftest import shared_path

pytestmark = pytest.mark.skipif(not has_pretrained(), reason="this install carries no shipped model")


def test_shipped_model_loads_with_its_tracking_defaults():
    model = dettrack.load_pretrained()
    assert not model.training
    assert model.config["name"] == "mobilenet_v2_fpn" and model.template_builder.levels == "all"
    session = dettrack.MultiTracker(model)
    assert session.search_region == model.tracking_defaults["search_region"] > 0


def test_shipped_model_follows_the_held_out_dog():
    # DAVIS-2016 dog is in the validation split of configs/demo.yaml (never trained on)
    dog = next(s for s in open_dataset("davis2016", shared_path("data", "davis2016")) if s.name == "dog")
    tracker = dettrack.Tracker(dettrack.load_pretrained())
    tracker.init(dog.frame(0), dog.boxes[0])
    ious = [iou_xywh(np.asarray([tracker.update(dog.frame(t)).box]), dog.boxes[t : t + 1])[0] for t in range(1, 21)]
    # CSRT reaches AO 0.41 on the whole sequence; a lost or random track would be near 0
    assert np.mean(ious) > 0.3, ious
