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
    model = small_model().eval()
    model.tracking_defaults = {"full_frame": False, "search_size": 128, "presence_threshold": 0.3}
    path = tmp_path / "model.pt"
    dettrack.save_checkpoint(model, path)
    restored = dettrack.load_checkpoint(path)
    assert restored.tracking_defaults == {"full_frame": False, "search_size": 128, "presence_threshold": 0.3}
    settings = dettrack.open_session(restored).settings
    assert (settings.full_frame, settings.search_size, settings.presence_threshold) == (False, 128, 0.3)
    settings = dettrack.open_session(restored, full_frame=True, presence_threshold=0.6).settings
    assert (settings.full_frame, settings.presence_threshold) == (True, 0.6)
    assert dettrack.open_session(small_model()).settings.full_frame  # a model without settings: the family's own


def test_a_checkpoint_with_multitracker_settings_tracks_with_their_translation(tmp_path):
    model = small_model().eval()
    model.tracking_defaults = {"search_region": 128, "presence_threshold": 0.3, "refresh_every": 15, "proposals": 50}
    path = tmp_path / "old.pt"
    dettrack.save_checkpoint(model, path)
    restored = dettrack.load_checkpoint(path)
    settings = dettrack.open_session(restored).settings
    assert (settings.full_frame, settings.search_size, settings.context, settings.presence_threshold) == (False, 128, 2.0, 0.3)
    frame = (torch.rand(96, 128, 3) * 255).to(torch.uint8).numpy()
    tracker = dettrack.Tracker(restored)
    tracker.init(frame, (30, 20, 40, 40))
    assert tracker.update(frame).mask.shape == (96, 128)
