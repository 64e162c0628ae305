"""The light family: NanoDet-m rebuilt in PyTorch from the published ONNX file, against onnxruntime."""

import cv2
import numpy as np
import pytest
import torch

from dettrack.model import load_checkpoint, save_checkpoint
from dettrack.model.light import ConversionError, LightDetTrack, NanoDet, load_nanodet_onnx
from dettrack.eval.reference import OUTPUTS, NanoDetReference, decode, letterbox
from dettrack.model.light.decode import decode_level
from dettrack.model.light.model import coco_category_ids

from conftest import shared_path

pytest.importorskip("onnxruntime")

@pytest.fixture(scope="module")
def onnx_path():
    return shared_path("weights", "nanodet_m.onnx")


@pytest.fixture(scope="module")
def nanodet(onnx_path):
    return load_nanodet_onnx(onnx_path)


@pytest.fixture(scope="module")
def reference(onnx_path):
    return NanoDetReference(onnx_path)


def rgb_image(path):
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def coco_images(count):
    folder = shared_path("data", "coco_extra", "images")
    return sorted(folder.glob("*.jpg"))[:count]


def test_raw_outputs_equal_onnxruntime(nanodet, reference):
    for path in coco_images(3):
        rgb, _, _ = letterbox(rgb_image(path))
        expected = reference.raw(rgb)
        with torch.no_grad():
            levels = nanodet(torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255)
        for (_, cls, reg), (cls_name, reg_name) in zip(levels, OUTPUTS.values()):
            ours_cls = cls.sigmoid().flatten(2).transpose(1, 2).numpy()
            ours_reg = reg.flatten(2).transpose(1, 2).numpy()
            np.testing.assert_allclose(ours_cls, expected[cls_name], atol=1e-3)
            np.testing.assert_allclose(ours_reg, expected[reg_name], atol=1e-3)


def test_detection_mode_matches_the_reference_decoding(nanodet, reference):
    model = LightDetTrack()
    model.detector = nanodet
    total = 0
    for path in coco_images(4):
        rgb, _, _ = letterbox(rgb_image(path))
        boxes, scores, labels = decode(reference.raw(rgb))
        with torch.no_grad():
            found = model.eval().detect(torch.from_numpy(rgb).permute(2, 0, 1).float() / 255, masks=False)
        assert len(found["boxes"]) == len(boxes)
        np.testing.assert_allclose(found["scores"].numpy(), scores, atol=1e-4)
        np.testing.assert_array_equal(found["labels"].numpy(), coco_category_ids("cpu")[labels].numpy())
        np.testing.assert_allclose(found["boxes"].numpy(), np.clip(boxes, 0, 416), atol=1e-2)
        total += len(boxes)
    assert total > 20  # real images with real detections


def test_detect_maps_boxes_back_to_the_original_frame(nanodet):
    """A frame and the same frame letterboxed by hand give the same objects, in their own coordinates."""
    model = LightDetTrack()
    model.detector = nanodet
    rgb = rgb_image(coco_images(1)[0])
    h, w = rgb.shape[:2]
    with torch.no_grad():
        whole = model.eval().detect(torch.from_numpy(rgb).permute(2, 0, 1).float() / 255, score_threshold=0.3)
    assert len(whole["boxes"]) > 0
    assert (whole["boxes"][:, 2] <= w).all() and (whole["boxes"][:, 3] <= h).all()
    assert whole["masks"].shape == (len(whole["boxes"]), 1, h, w)
    canvas, scale, (left, top) = letterbox(rgb)
    with torch.no_grad():
        boxed = model.detect(torch.from_numpy(canvas).permute(2, 0, 1).float() / 255, score_threshold=0.3, masks=False)
    mapped = (boxed["boxes"] - torch.tensor([left, top, left, top])) / scale
    best = torch.cdist(whole["boxes"][:1], mapped).min()
    assert best < 0.01 * max(h, w)  # the top object lands on the same pixels (antialiased resampling differs slightly)


def test_box_decoding_is_the_distribution_expectation():
    logits = torch.full((1, 32, 1, 1), -1e4)
    for side, bin_ in enumerate([1, 2, 3, 4]):  # left=1, top=2, right=3, bottom=4 bins
        logits[0, side * 8 + bin_] = 0
    box = decode_level(logits, stride=8)[0, 0]
    assert box.tolist() == [4 - 8, 4 - 16, 4 + 24, 4 + 32]


def test_converter_rejects_other_files(tmp_path, onnx_path):
    text = tmp_path / "notes.onnx"
    text.write_text("not a model")
    with pytest.raises(ConversionError, match="notes.onnx is not a readable ONNX file"):
        load_nanodet_onnx(text)
    truncated = tmp_path / "cut.onnx"
    truncated.write_bytes(onnx_path.read_bytes()[:200_000])
    with pytest.raises(ConversionError, match="cut.onnx"):
        load_nanodet_onnx(truncated)
    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        load_nanodet_onnx(tmp_path / "missing.onnx")


def test_converter_rejects_another_architecture():
    nanotrack = shared_path("models", "nanotrack_v2", "nanotrack_backbone_sim.onnx")
    with pytest.raises(ConversionError, match="NanoDet-m"):
        load_nanodet_onnx(nanotrack)


def test_checkpoint_round_trip_and_family_check(nanodet, tmp_path):
    model = LightDetTrack(input_size=320)
    model.detector.load_state_dict(nanodet.state_dict())
    model.tracking_defaults = {"context": 3.0}
    path = tmp_path / "light.pt"
    save_checkpoint(model, path)
    loaded = load_checkpoint(path)
    assert isinstance(loaded, LightDetTrack) and loaded.input_size == 320
    assert loaded.tracking_defaults == {"context": 3.0}
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key
    with pytest.raises(ValueError, match="holds a light model, but a maskrcnn model was expected"):
        load_checkpoint(path, family="maskrcnn")


def test_untrained_module_differs_from_converted(nanodet):
    """The converter really writes the weights (a fresh module gives other outputs)."""
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        a = nanodet(x)[0][1]
        b = NanoDet().eval()(x)[0][1]
    assert (a - b).abs().max() > 0.1


def test_onnxruntime_pyramid_equals_pytorch_and_follows_weight_changes(nanodet):
    import copy

    from dettrack.model.light import runtime

    detector = copy.deepcopy(nanodet)
    for size in (320, 256):
        x = torch.rand(2, 3, size, size)
        with torch.no_grad():
            fast, slow = runtime.onnx_pyramid(detector)(x), detector.pyramid(x)
        for key in slow:
            assert fast[key].shape == slow[key].shape
            torch.testing.assert_close(fast[key], slow[key], atol=1e-4, rtol=1e-4)
    with torch.no_grad():
        detector.neck.lateral[0].weight.mul_(2.0)  # an in-place change, as a training step makes
        x = torch.rand(1, 3, 128, 128)
        torch.testing.assert_close(runtime.onnx_pyramid(detector)(x)["8"], detector.pyramid(x)["8"], atol=1e-4, rtol=1e-4)


def test_model_uses_onnxruntime_only_for_inference(nanodet):
    model = LightDetTrack(input_size=128).eval()
    model.detector.load_state_dict(nanodet.state_dict())
    x = torch.rand(1, 3, 128, 128)
    assert model._pyramid(x)["8"].requires_grad  # gradients on: PyTorch
    with torch.no_grad():
        fast = model._pyramid(x)["8"]
        model.runtime = "torch"
        torch.testing.assert_close(fast, model._pyramid(x)["8"], atol=1e-4, rtol=1e-4)


def test_mask_head_on_onnxruntime_equals_pytorch_and_follows_weight_changes():
    model = LightDetTrack(input_size=128).eval()
    rois = torch.rand(3, 96, 14, 14)
    assert model._mask_logits(rois).requires_grad  # gradients on: PyTorch, as in training
    assert not any(key.startswith("mask_net") for key in model.state_dict())  # no second copy of the head
    with torch.no_grad():
        fast = model._mask_logits(rois)
        model.mask_predictor.mask_fcn_logits.bias.add_(1.0)  # in place, as training and load_state_dict change weights
        moved = model._mask_logits(rois)
        model.runtime = "torch"
        torch.testing.assert_close(moved, model._mask_logits(rois), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(moved - 1.0, fast, atol=1e-4, rtol=1e-4)


def test_onnxruntime_export_leaves_every_module_mode_as_it_was(nanodet):
    import copy

    from dettrack.model.light import runtime

    detector = copy.deepcopy(nanodet).eval()
    before = [m.training for m in detector.modules()]
    runtime.onnx_pyramid(detector)(torch.rand(1, 3, 64, 64))
    assert [m.training for m in detector.modules()] == before
    exported = runtime._CACHE[detector][""][2]
    with torch.no_grad():
        runtime.onnx_pyramid(detector)(torch.rand(1, 3, 64, 64))
    assert runtime._CACHE[detector][""][2] is exported  # nothing changed: no new export


def test_convert_command_writes_a_light_checkpoint_or_names_the_wrong_file(onnx_path, tmp_path, capsys):
    from dettrack.cli import main

    out = tmp_path / "nanodet.pt"
    assert main(["convert", str(onnx_path), str(out), "--quiet"]) == 0
    model = load_checkpoint(out, family="light")
    assert model.tracking_defaults["search_size"] == 320
    other = shared_path("models", "nanotrack_v2", "nanotrack_head_sim.onnx")
    assert main(["convert", str(other), str(tmp_path / "bad.pt")]) == 2
    assert "not the NanoDet-m" in capsys.readouterr().err
    assert not (tmp_path / "bad.pt").exists()


def test_tracking_candidates_come_from_the_tracking_levels_only(nanodet):
    """Candidates of the coarse levels alone are exactly those levels' cells of the full dense head."""
    model = LightDetTrack(input_size=128).eval()
    model.detector.load_state_dict(nanodet.state_dict())
    image = torch.from_numpy(rgb_image(coco_images(1)[0])).permute(2, 0, 1).float() / 255
    with torch.no_grad():
        encoded = model.encode(image, [(0, 0, 200)], 128)
        template = model.make_template(encoded, torch.tensor([[40.0, 40.0, 140.0, 150.0]]))
        coarse = model.candidates(encoded, template, top_k=10_000)[0]
        model.track_strides = [8, 16, 32]
        every = model.candidates(encoded, template, top_k=10_000)[0]
    cells = {s: (128 // s) ** 2 for s in (8, 16, 32)}
    assert len(coarse.scores) == cells[16] + cells[32] and len(every.scores) == sum(cells.values())
    # the coarse levels' scores are a subset of all levels' scores, unchanged
    assert torch.isin(coarse.scores, every.scores).all()
    with pytest.raises(ValueError, match="track_strides must be some of the pyramid's strides"):
        LightDetTrack(track_strides=(4,))


def test_export_stores_the_graphs_of_the_weights_a_load_gives(nanodet, tmp_path, monkeypatch):
    from dettrack.cli import main

    model = LightDetTrack(input_size=320)
    model.detector.load_state_dict(nanodet.state_dict())
    save_checkpoint(model, tmp_path / "light.pt")
    assert main(["export", str(tmp_path / "light.pt"), str(tmp_path / "half.pt"), "--half", "--quiet"]) == 0
    assert main(["export", str(tmp_path / "light.pt"), str(tmp_path / "bare.pt"), "--no-graphs", "--quiet"]) == 0
    assert "graphs" not in torch.load(tmp_path / "bare.pt", weights_only=True)
    stored = torch.load(tmp_path / "half.pt", weights_only=True)["graphs"]
    cache = tmp_path / "cache"
    monkeypatch.setenv("DETTRACK_CACHE", str(cache))
    loaded = load_checkpoint(tmp_path / "half.pt")  # fp16 storage: the graphs are those of the rounded weights
    assert sorted(p.name for p in cache.iterdir()) == sorted(stored)
    assert sorted(loaded.runtime_graphs()) == sorted(stored)
