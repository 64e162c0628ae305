"""The model family registry: every family-specific rule comes from it, and names are checked once."""

import subprocess
import sys

import pytest
import torch

from dettrack.model import load_checkpoint, save_checkpoint
from dettrack.model.families import DEFAULT_FAMILY, FAMILIES, family_of
from dettrack.train.config import complete

from conftest import small_model


def test_each_family_rebuilds_its_own_models(light, tmp_path):
    maskrcnn = small_model()
    assert family_of(maskrcnn.config) is FAMILIES[DEFAULT_FAMILY] and family_of(light.config) is FAMILIES["light"]
    for model in (maskrcnn, light):
        rebuilt = family_of(model.config).build_from_checkpoint(model.config)
        assert type(rebuilt) is type(model) and rebuilt.config == model.config
        assert model.detection_classes == (5 if model is maskrcnn else 91)
    save_checkpoint(light, tmp_path / "light.pt")
    with pytest.raises(ValueError, match="holds a light model, but a maskrcnn model was expected"):
        load_checkpoint(tmp_path / "light.pt", family="maskrcnn")


def test_an_unknown_family_is_named_in_recipes_and_checkpoints(tmp_path):
    with pytest.raises(ValueError, match="recipe.yaml: model.family: unknown model family 'yolo'; known: maskrcnn, light"):
        complete({"model": {"family": "yolo"}}, "recipe.yaml")
    model = small_model()
    save_checkpoint(model, tmp_path / "m.pt")
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    payload["config"]["family"] = "yolo"
    torch.save(payload, tmp_path / "yolo.pt")
    with pytest.raises(ValueError, match="yolo.pt holds a model this dettrack cannot build: unknown model family 'yolo'"):
        load_checkpoint(tmp_path / "yolo.pt")


def test_a_recipe_takes_its_familys_tracking_base_losses_and_rules():
    light = complete({"model": {"family": "light"}, "train": {"loss_weights": {"loss_track_cls": 2.0}}}, "r")
    paper = complete({"model": {"name": "mobilenet_v2_fpn"}}, "r")
    assert light["tracking"]["full_frame"] is False and paper["tracking"]["full_frame"] is True  # the paper's stateless tracker
    with pytest.raises(ValueError, match="train.loss_weights must map loss names .loss_objectness"):
        complete({"model": {"name": "mobilenet_v2_fpn"}, "train": {"loss_weights": {"loss_track_cls": 2.0}}}, "r")
    with pytest.raises(ValueError, match="model.name is required"):
        complete({"model": {}}, "r")


def test_the_registry_imports_no_torch():
    code = "import sys, dettrack.model.families, dettrack.train.config; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
