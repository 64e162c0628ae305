"""`dettrack detect`: the detection mode of the same network, on a real COCO image and a video."""

import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

import dettrack
from dettrack.cli import main
from dettrack.commands.detect import class_filter
from dettrack.video import FrameSource, VideoWriter

from conftest import shared_path, small_model


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "det.pt"
    dettrack.save_checkpoint(small_model(box_score_thresh=0.0), path)
    return str(path)


def test_detect_on_a_coco_image_writes_json_and_an_annotated_image(model_file, tmp_path):
    image = shared_path("data", "coco128", "train2017", "000000000009.jpg")
    out = tmp_path / "out"
    assert main(["detect", str(image), "--model", model_file, "--score", "0", "--out", str(out), "--quiet"]) == 0
    (row,) = json.loads((out / "detections.json").read_text())
    width, height = Image.open(image).size
    assert row["frame"] == 0 and len(row["detections"]) > 0
    for d in row["detections"]:
        x, y, w, h = d["box"]
        assert 0 <= x and x + w <= width + 0.01 and 0 <= y and y + h <= height + 0.01
        assert 0 <= d["score"] <= 1 and 1 <= d["label"] <= 4
        mask = mask_utils.decode({**d["segmentation"], "counts": d["segmentation"]["counts"].encode()})
        assert mask.shape == (height, width)
    scores = [d["score"] for d in row["detections"]]
    assert scores == sorted(scores, reverse=True)
    assert Image.open(out / "000000000009_detections.png").size == (width, height)


def test_detect_on_a_video_filters_classes(model_file, tmp_path):
    clip = tmp_path / "clip.mp4"
    rng = np.random.default_rng(0)
    with VideoWriter(clip, fps=5) as writer:
        for _ in range(3):
            writer.write(rng.integers(0, 255, (64, 96, 3), dtype=np.uint8))
    out = tmp_path / "out"
    assert main(["detect", str(clip), "--model", model_file, "--score", "0", "--classes", "bicycle", "--out", str(out), "--quiet"]) == 0
    rows = json.loads((out / "detections.json").read_text())
    assert [r["frame"] for r in rows] == [0, 1, 2]
    assert all(d["label"] == 2 and d["name"] == "bicycle" for r in rows for d in r["detections"])
    assert sum(1 for _ in FrameSource(out / "detections.mp4")) == 3


def test_unknown_classes_are_named():
    assert class_filter(["person", "3"], 91) == {1, 3}
    with pytest.raises(ValueError, match="unknown class 'unicorn'"):
        class_filter(["unicorn"], 91)
    with pytest.raises(ValueError, match="unknown class 'car'"):
        class_filter(["car"], 3)  # a model with 3 classes has no class 3
