import pytest
import torch

import dettrack
from dettrack.model.checkpoint import FORMAT_VERSION, read_checkpoint

from conftest import small_model


def _outputs(model, image, box):
    with torch.no_grad():
        template = model.make_template(image, box)
        return model([image])[0], model.track([image], template)[0]


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    model = small_model(template_variant="mean_diff").eval()
    image = torch.rand(3, 150, 200)
    box = torch.tensor([40.0, 30.0, 120.0, 110.0])
    path = tmp_path / "model.pt"
    dettrack.save_checkpoint(model, path, extra={"iteration": 12})
    raw = torch.load(path, weights_only=True)
    assert raw["format_version"] == FORMAT_VERSION
    assert raw["config"]["name"] == "mobilenet_v2_fpn" and raw["config"]["template_variant"] == "mean_diff"
    assert raw["extra"] == {"iteration": 12}
    restored = dettrack.load_checkpoint(path)
    assert restored.template_builder.variant == "mean_diff"
    for before, after in zip(_outputs(model, image, box), _outputs(restored, image, box)):
        for key in before:
            torch.testing.assert_close(after[key], before[key], rtol=0, atol=0)
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_half_precision_storage_restores_fp32(tmp_path):
    model = small_model().eval()
    path = tmp_path / "half.pt"
    dettrack.save_checkpoint(model, path, half=True)
    assert torch.load(path, weights_only=True)["state_dict"]["rpn.head.conv.0.0.weight"].dtype == torch.float16
    restored = dettrack.load_checkpoint(path)
    weight = restored.rpn.head.conv[0][0].weight
    assert weight.dtype == torch.float32
    torch.testing.assert_close(weight, model.rpn.head.conv[0][0].weight, atol=1e-3, rtol=1e-3)


def test_bad_checkpoints_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        dettrack.load_checkpoint(tmp_path / "none.pt")
    junk = tmp_path / "junk.pt"
    junk.write_text("hello")
    with pytest.raises(ValueError, match="junk.pt is not a readable dettrack checkpoint"):
        read_checkpoint(junk)
    model = small_model()
    path = tmp_path / "m.pt"
    dettrack.save_checkpoint(model, path)
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(ValueError, match="format 99"):
        dettrack.load_checkpoint(tmp_path / "future.pt")
    payload["format_version"] = FORMAT_VERSION
    payload["state_dict"] = small_model(num_classes=3).state_dict()
    torch.save(payload, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="do not fit the architecture"):
        dettrack.load_checkpoint(tmp_path / "other.pt")
    payload["config"]["name"] = "resnet18_fpn"
    torch.save(payload, tmp_path / "bad_config.pt")
    with pytest.raises(ValueError, match="bad_config.pt holds a config that cannot build a model"):
        dettrack.load_checkpoint(tmp_path / "bad_config.pt")
    torch.save({"weights": 1}, tmp_path / "foreign.pt")
    with pytest.raises(ValueError, match="not a dettrack checkpoint"):
        dettrack.load_checkpoint(tmp_path / "foreign.pt")


def test_tracking_defaults_travel_with_the_checkpoint_and_explicit_settings_win(tmp_path):
    from dettrack.tracking import MultiTracker

    model = small_model().eval()
    model.tracking_defaults = {"search_region": 128, "presence_threshold": 0.3}
    path = tmp_path / "model.pt"
    dettrack.save_checkpoint(model, path)
    restored = dettrack.load_checkpoint(path)
    assert restored.tracking_defaults == {"search_region": 128, "presence_threshold": 0.3}
    session = MultiTracker(restored)
    assert (session.search_region, session.presence_threshold, session.context) == (128, 0.3, 4.0)
    session = MultiTracker(restored, search_region=0, presence_threshold=0.6)
    assert (session.search_region, session.presence_threshold) == (0, 0.6)
    assert MultiTracker(small_model()).search_region == 0  # a model without defaults: the built-in ones
