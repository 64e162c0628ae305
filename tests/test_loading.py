"""dettrack.load_model: the one rule for --model ('pretrained', a checkpoint file, a backbone name)."""

import pytest

import dettrack

from conftest import small_model


def test_a_checkpoint_file_loads_in_eval_mode(tmp_path):
    path = tmp_path / "model.pt"
    built = small_model()
    dettrack.save_checkpoint(built, path)
    model = dettrack.load_model(path)
    assert not model.training and model.config == built.config


def test_a_backbone_name_gives_an_untrained_light_model_with_a_warning():
    with pytest.warns(UserWarning, match="mobilenet_v2_fpn with untrained weights"):
        model = dettrack.load_model("mobilenet_v2_fpn")
    assert not model.training and model.transform.min_size == (360,) and model.transform.max_size == 640


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises((FileNotFoundError, ValueError), match="missing.pt"):
        dettrack.load_model(tmp_path / "missing.pt")
