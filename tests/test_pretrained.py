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
    assert model.family == "light" and model.template_builder.levels == "all"
    session = dettrack.open_session(model)
    assert isinstance(session, dettrack.TemplateTracker)
    assert session.settings.search_size == model.tracking_defaults["search_size"]


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_shipped_model_follows_and_segments_the_held_out_dog():
    # DAVIS-2016 dog is in the validation split of configs/light.yaml (never trained on)
    dog = next(s for s in open_dataset("davis2016", shared_path("data", "davis2016")) if s.name == "dog")
    tracker = dettrack.Tracker(dettrack.load_pretrained())
    tracker.init(dog.frame(0), dog.boxes[0])
    ious, mask_j, box_j = [], [], []
    for t in range(1, 21):
        result = tracker.update(dog.frame(t))
        ious.append(iou_xywh(np.asarray([result.box]), dog.boxes[t : t + 1])[0])
        truth = dog.mask(t) > 0
        x, y, w, h = (int(round(v)) for v in result.box)
        filled = np.zeros_like(truth)
        filled[max(y, 0) : y + h, max(x, 0) : x + w] = True
        mask_j.append(_jaccard(result.mask, truth))
        box_j.append(_jaccard(filled, truth))
    # CSRT reaches AO 0.41 on the whole sequence; a lost or random track would be near 0
    assert np.mean(ious) > 0.3, ious
    # the mask follows the dog's shape: better than filling its own box (a flat or empty mask is not)
    assert np.mean(mask_j) > np.mean(box_j) + 0.05, (mask_j, box_j)


def test_the_recipe_holds_the_shipped_tracker_settings():
    """configs/light.yaml's tracking section is what the shipped file tracks with: training it and
    exporting (docs/training.md) gives the shipped tracker, with no settings typed on the command line."""
    from pathlib import Path

    from dettrack.tracking.settings import TrackingSettings
    from dettrack.train.config import load_config

    recipe = load_config(Path(__file__).resolve().parents[1] / "configs" / "light.yaml")["tracking"]
    shipped = TrackingSettings.from_mapping(dettrack.load_pretrained().tracking_defaults).to_dict()
    assert recipe == shipped


def test_the_shipped_file_brings_its_onnxruntime_graphs(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    import torch

    monkeypatch.setenv("DETTRACK_CACHE", str(tmp_path))
    model = dettrack.load_pretrained()
    seeded = sorted(p.name for p in tmp_path.iterdir())
    assert len(seeded) == 4  # the pyramid, the mask head (fp32 and int8) and the appearance trunk, put in the empty cache by the load
    frame = torch.rand(3, 240, 320)
    box = torch.tensor([[40.0, 50.0, 160.0, 200.0]])
    with torch.inference_mode():
        fast = model.encode(frame, [(0, 0, 240)], 320)
        int8 = model.masks(fast, box)
        model.int8_masks = ""
        masks = model.masks(fast, box)
        looks = model.appearance.describe(frame, box)
    assert sorted(p.name for p in tmp_path.iterdir()) == seeded  # they are the graphs the runtime asked for: nothing exported
    assert ((int8 > 0.5) == (masks > 0.5)).float().mean() > 0.97  # the int8 head: the same mask within rounding
    model.runtime = model.appearance.runtime = "torch"
    with torch.inference_mode():
        slow = model.encode(frame, [(0, 0, 240)], 320)
        torch.testing.assert_close(model.masks(slow, box), masks, atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(model.appearance.describe(frame, box), looks, atol=1e-4, rtol=1e-4)
    for key in fast.features:
        torch.testing.assert_close(fast.features[key], slow.features[key], atol=1e-4, rtol=1e-4)
