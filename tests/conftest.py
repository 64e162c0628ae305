"""Shared test helpers: where ../shared is, and small real models built on the fly."""

import os
from pathlib import Path

import pytest
import torch

import dettrack

SHARED = Path(os.environ.get("DETTRACK_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test (or, called at import, the whole module) when that
    material is not on this machine."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared material not found: {path}", allow_module_level=True)
    return path


@pytest.fixture(autouse=True, scope="session")
def _export_cache(tmp_path_factory):
    """Exported ONNX graphs (model.light.runtime) go to a temporary folder, not the user's cache."""
    os.environ["DETTRACK_CACHE"] = str(tmp_path_factory.mktemp("dettrack_cache"))
    yield


@pytest.fixture(autouse=True)
def _threads_and_seed():
    torch.manual_seed(0)
    yield


def small_model(**options) -> dettrack.DetTrack:
    """A small random-weight DetTrack (MobileNetV2-FPN, 64 channels, small input size)."""
    settings = dict(
        out_channels=64,
        min_size=160,
        max_size=256,
        num_classes=5,
        rpn_pre_nms_top_n_test=200,
        rpn_post_nms_top_n_test=50,
        num_negatives=256,
    )
    settings.update(options)
    return dettrack.build_model("mobilenet_v2_fpn", **settings)


@pytest.fixture(scope="module")
def light():
    """The untrained light tracker: NanoDet-m converted from ../shared/weights, 320 px input."""
    from dettrack.model.light import build_light_model

    return build_light_model(str(shared_path("weights", "nanodet_m.onnx")), input_size=320).eval()


@pytest.fixture(scope="module")
def camel():
    """The first 12 frames of DAVIS-2016 camel (H x W x 3 uint8) and their boxes (x, y, w, h)."""
    from dettrack.data import open_dataset

    seq = next(s for s in open_dataset("davis2016", shared_path("data", "davis2016")) if s.name == "camel")
    return [seq.frame(i) for i in range(12)], seq.boxes[:12]
