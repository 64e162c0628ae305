import pytest
import torch
from torchvision.ops import FrozenBatchNorm2d

import dettrack
from dettrack.model.backbone import BACKBONES, build_backbone, fold_frozen_batchnorm
from dettrack.model.weights import resolve_state_dict

from conftest import shared_path


@pytest.mark.parametrize("name", [n for n in BACKBONES if n != "resnet50_fpn"])
def test_every_backbone_gives_the_same_pyramid(name):
    backbone = build_backbone(name, out_channels=32).eval()
    with torch.no_grad():
        out = backbone(torch.rand(1, 3, 128, 192))
    assert list(out) == ["0", "1", "2", "3", "pool"]
    assert backbone.out_channels == 32
    for (key, f), stride in zip(out.items(), (4, 8, 16, 32, 64)):
        assert f.shape == (1, 32, -(-128 // stride), -(-192 // stride)), key


@pytest.mark.slow
def test_resnet50_fpn_pyramid():
    out = build_backbone("resnet50_fpn").eval()(torch.rand(1, 3, 64, 64))
    assert [f.shape[1] for f in out.values()] == [256] * 5


def test_shared_mobilenet_v2_weights_load_into_the_backbone():
    path = shared_path("weights", "mobilenet_v2_imagenet.pt")
    file_state = torch.load(path, weights_only=True)
    backbone = build_backbone("mobilenet_v2_fpn", weights=str(path))
    first = backbone.body["0"][0].weight
    torch.testing.assert_close(first, file_state["features.0.0.weight"], rtol=0, atol=0)
    last = backbone.body["18"][0].weight
    torch.testing.assert_close(last, file_state["features.18.0.weight"], rtol=0, atol=0)
    # frozen batch norm carries the file's running statistics
    torch.testing.assert_close(backbone.body["0"][1].running_var, file_state["features.0.1.running_var"])
    # pretrained: torchvision's default of training only the last 3 stages
    assert not first.requires_grad and last.requires_grad


def test_weights_errors_are_clear(tmp_path):
    with pytest.raises(ValueError, match="neither an existing file nor a torchvision weights name"):
        build_backbone("resnet18_fpn", weights="IMAGENET_NOPE")
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        build_backbone("resnet18_fpn", weights=str(tmp_path / "missing.pt"))
    wrong = tmp_path / "resnet18.pt"
    torch.save(build_backbone("resnet18_fpn").body.state_dict(), wrong)
    with pytest.raises(ValueError, match="weights do not fit mobilenet_v2"):
        build_backbone("mobilenet_v2_fpn", weights=str(wrong))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot read weights"):
        resolve_state_dict(str(junk), "resnet18")
    with pytest.raises(ValueError, match="unknown backbone"):
        build_backbone("vgg16_fpn")


def test_a_local_resnet_file_round_trips(tmp_path):
    source = build_backbone("resnet18_fpn")
    path = tmp_path / "trunk.pt"
    torch.save({"state_dict": dict(source.body.state_dict())}, path)
    loaded = build_backbone("resnet18_fpn", weights=str(path))
    torch.testing.assert_close(loaded.body["layer4"][1].conv2.weight, source.body["layer4"][1].conv2.weight)


def _randomise_frozen_norms(module: torch.nn.Module) -> int:
    generator = torch.Generator().manual_seed(0)
    norms = [m for m in module.modules() if isinstance(m, FrozenBatchNorm2d)]
    for norm in norms:
        c = norm.weight.numel()
        norm.weight.copy_(torch.rand(c, generator=generator) + 0.5)
        norm.bias.copy_(torch.randn(c, generator=generator))
        norm.running_mean.copy_(torch.randn(c, generator=generator))
        norm.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
    return len(norms)


@pytest.mark.parametrize("name", ["mobilenet_v2_fpn", "resnet18_fpn"])
def test_folding_frozen_batchnorm_keeps_the_function(name):
    backbone = build_backbone(name, out_channels=32).eval()
    count = _randomise_frozen_norms(backbone.body)
    image = torch.rand(1, 3, 96, 128)
    with torch.no_grad():
        before = backbone(image)
        assert fold_frozen_batchnorm(backbone.body) == count > 0
        after = backbone(image)
    assert not any(isinstance(m, FrozenBatchNorm2d) for m in backbone.modules())
    for key in before:
        torch.testing.assert_close(after[key], before[key], rtol=1e-4, atol=1e-4)


def test_a_folded_model_round_trips_and_exports(tmp_path):
    from dettrack.cli import main

    model = dettrack.build_model("mobilenet_v2_fpn", out_channels=32, representation_size=64, mask_layers=[32], num_classes=3, min_size=96, max_size=128)
    _randomise_frozen_norms(model)
    source = tmp_path / "plain.pt"
    dettrack.save_checkpoint(model.eval(), source)
    folded = tmp_path / "folded.pt"
    assert main(["export", str(source), str(folded), "--fold-batchnorm", "--quiet"]) == 0
    restored = dettrack.load_checkpoint(folded)
    assert restored.config["fold_batchnorm"] is True
    assert not any(isinstance(m, FrozenBatchNorm2d) for m in restored.modules())
    image, box = torch.rand(3, 96, 128), torch.tensor([20.0, 20.0, 70.0, 60.0])
    with torch.no_grad():
        expected = model.backbone(torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(1)))
        got = restored.backbone(torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(1)))
        torch.testing.assert_close(model.make_template([image], box[None]), restored.make_template([image], box[None]), rtol=1e-3, atol=1e-4)
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=1e-4, atol=1e-4)
