"""The light family's int8 mask head: calibrated at export on real images, the same masks as fp32."""

import pytest
import torch

from conftest import shared_path

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The shipped model exported with an int8 mask head calibrated on three COCO training images."""
    from dettrack.cli import main
    from dettrack.pretrained import pretrained_path

    folder = tmp_path_factory.mktemp("calibration")
    for path in sorted(shared_path("data", "coco128", "train2017").glob("*.jpg"))[:3]:
        (folder / path.name).symlink_to(path)
    out = tmp_path_factory.mktemp("export") / "int8.pt"
    assert main(["export", str(pretrained_path()), str(out), "--int8-masks", str(folder), "--quiet"]) == 0
    return out


def _masks(model, image, boxes):
    with torch.inference_mode():
        encoded = model.encode_around(image, boxes)
        return model._mask_logits(model.mask_rois(encoded, boxes, range(len(boxes))))


def test_the_int8_head_gives_the_fp32_heads_masks_on_held_out_frames(exported, camel, tmp_path, monkeypatch):
    from dettrack.model import load_checkpoint
    from dettrack.model.light import runtime
    from dettrack.tracking.inputs import frame_to_tensor

    monkeypatch.setenv("DETTRACK_CACHE", str(tmp_path / "cache"))  # a fresh cache: the file's graphs alone
    model = load_checkpoint(exported)
    digest = model.config["int8_masks"]
    assert model.int8_masks == digest and len(digest) == 16
    assert (tmp_path / "cache" / runtime.int8_graph_name(model.mask_net, digest)).is_file()
    frames, boxes = camel
    ious = []
    for frame, (x, y, w, h) in zip(frames[:6], boxes[:6]):
        image = frame_to_tensor(frame)
        box = torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32)
        int8 = _masks(model, image, box)
        model.int8_masks = ""
        plain = _masks(model, image, box)
        model.int8_masks = digest
        assert (int8 - plain).abs().max() > 1e-3  # the int8 graph ran
        ours, theirs = int8 > 0, plain > 0
        ious.append(float((ours & theirs).sum() / (ours | theirs).sum()))
    assert min(ious) > 0.95


def test_changed_weights_run_the_fp32_head_with_a_warning(exported, camel, tmp_path, monkeypatch):
    from dettrack.model import load_checkpoint
    from dettrack.tracking.inputs import frame_to_tensor

    monkeypatch.setenv("DETTRACK_CACHE", str(tmp_path / "cache"))
    model = load_checkpoint(exported)
    frames, boxes = camel
    x, y, w, h = boxes[0]
    image, box = frame_to_tensor(frames[0]), torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32)
    with torch.no_grad():
        model.mask_predictor.mask_fcn_logits.bias.add_(1.0)  # fine-tuned since the calibration
    with pytest.warns(UserWarning, match="no int8 graph"):
        moved = _masks(model, image, box)
    model.int8_masks = ""
    torch.testing.assert_close(moved, _masks(model, image, box))


def test_the_int8_graph_goes_with_every_later_export(exported, tmp_path, monkeypatch):
    from dettrack.cli import main

    monkeypatch.setenv("DETTRACK_CACHE", str(tmp_path / "cache"))
    again = tmp_path / "again.pt"
    assert main(["export", str(exported), str(again), "--quiet"]) == 0
    first, second = (torch.load(path, weights_only=True) for path in (exported, again))
    assert second["config"]["int8_masks"] == first["config"]["int8_masks"]
    assert sorted(second["graphs"]) == sorted(first["graphs"]) and len(first["graphs"]) == 4


def test_bad_calibration_folders_are_refused_before_anything_is_written(tmp_path, capsys):
    from dettrack.cli import main
    from dettrack.pretrained import pretrained_path

    out = tmp_path / "out.pt"
    (tmp_path / "empty").mkdir()
    for argv, message in (
        (["--int8-masks", str(tmp_path / "missing")], "missing: folder of calibration images not found"),
        (["--int8-masks", str(tmp_path / "empty")], "empty: no image files"),
        (["--int8-masks", str(tmp_path / "empty"), "--no-graphs"], "cannot go with --no-graphs"),
    ):
        assert main(["export", str(pretrained_path()), str(out), *argv]) == 2
        assert message in capsys.readouterr().err
        assert not out.exists()


def test_exports_that_change_the_weights_or_leave_the_graphs_out_switch_it_off(exported, tmp_path, monkeypatch, capsys):
    from dettrack.cli import main

    monkeypatch.setenv("DETTRACK_CACHE", str(tmp_path / "cache"))
    halved, bare = tmp_path / "half.pt", tmp_path / "bare.pt"
    assert main(["export", str(exported), str(halved), "--half"]) == 0  # fp16 storage rounds the weights
    assert "int8 mask head's calibration is of other weights: switched off" in capsys.readouterr().err
    assert main(["export", str(exported), str(bare), "--no-graphs", "--quiet"]) == 0
    for path in (halved, bare):
        assert "int8_masks" not in torch.load(path, weights_only=True)["config"]
