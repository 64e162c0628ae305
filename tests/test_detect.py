"""Detection mode: `dettrack.detect` and `dettrack detect` on a real COCO image, a folder of
photos of different sizes and a video."""

import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

import dettrack
from dettrack.cli import main
from dettrack.detection import class_ids
from dettrack.video import FrameSource, VideoWriter

from conftest import shared_path, small_model


@pytest.fixture(scope="module")
def model():
    return small_model(box_score_thresh=0.0)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, model):
    path = tmp_path_factory.mktemp("model") / "det.pt"
    dettrack.save_checkpoint(model, path)
    return str(path)


def test_detect_returns_boxes_that_hold_their_masks(model):
    image = dettrack.read_image(shared_path("data", "coco128", "train2017", "000000000009.jpg"))
    found = dettrack.detect(model, image, score=0.0)
    assert isinstance(found, dettrack.Detections) and len(found) > 0
    assert found.boxes.shape == (len(found), 4) and found.masks.shape == (len(found), *image.shape[:2])
    assert list(found.scores) == sorted(found.scores, reverse=True)
    for (x, y, w, h), mask in zip(found.boxes, found.masks):
        ys, xs = np.nonzero(mask)
        if len(xs):  # a pasted mask lies inside its box (to the pixel)
            assert x - 1 <= xs.min() and xs.max() <= x + w + 1 and y - 1 <= ys.min() and ys.max() <= y + h + 1
    model.train()
    strict = dettrack.detect(model, image, score=float(found.scores[2]))
    assert len(strict) >= 3 and np.allclose(strict.boxes, found.boxes[: len(strict)])
    assert model.training  # the caller's mode is restored


def test_detect_on_many_images_of_different_sizes_and_classes(model):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (60, 80, 3), dtype=np.uint8), rng.integers(0, 255, (90, 50, 3), dtype=np.uint8)]
    found = dettrack.detect(model, images, score=0.0, classes=["bicycle"])
    assert isinstance(found, list) and [f.masks.shape[1:] for f in found] == [(60, 80), (90, 50)]
    assert all(set(f.labels.tolist()) <= {2} and set(f.names) <= {"bicycle"} for f in found)
    with pytest.raises(ValueError, match="image 1: expected uint8"):
        dettrack.detect(model, [images[0], images[1].astype(np.float32)])


def test_detect_on_a_coco_image_writes_json_and_an_annotated_image(model_file, tmp_path, capsys):
    image = shared_path("data", "coco128", "train2017", "000000000009.jpg")
    out = tmp_path / "out"
    assert main(["detect", str(image), "--model", model_file, "--score", "0", "--out", str(out)]) == 0
    (row,) = json.loads((out / "detections.json").read_text())
    width, height = Image.open(image).size
    assert row["frame"] == 0 and row["file"] == image.name and len(row["detections"]) > 0
    assert f"found {len(row['detections'])} object(s) with score >= 0 on 1 frame(s)" in capsys.readouterr().out
    for d in row["detections"]:
        x, y, w, h = d["box"]
        assert 0 <= x and x + w <= width + 0.01 and 0 <= y and y + h <= height + 0.01
        assert 0 <= d["score"] <= 1 and 1 <= d["label"] <= 4
        mask = mask_utils.decode({**d["segmentation"], "counts": d["segmentation"]["counts"].encode()})
        assert mask.shape == (height, width)
    scores = [d["score"] for d in row["detections"]]
    assert scores == sorted(scores, reverse=True)
    assert Image.open(out / "000000000009_detections.png").size == (width, height)


def test_detect_on_a_folder_of_photos_of_different_sizes(model_file, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name, size in [("b.jpg", (64, 96)), ("a.png", (80, 40))]:
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(folder / name)
    out = tmp_path / "out"
    assert main(["detect", str(folder), "--model", model_file, "--score", "0", "--out", str(out), "--quiet"]) == 0
    rows = json.loads((out / "detections.json").read_text())
    assert [(r["frame"], r["file"]) for r in rows] == [(0, "a.png"), (1, "b.jpg")]
    assert Image.open(out / "a_detections.png").size == (40, 80) and Image.open(out / "b_detections.png").size == (96, 64)


def test_detect_says_when_nothing_passes_the_score(model_file, tmp_path, capsys):
    image = shared_path("data", "coco128", "train2017", "000000000009.jpg")
    assert main(["detect", str(image), "--model", model_file, "--score", "1.01", "--out", str(tmp_path), "--quiet"]) == 0
    assert "no detection reached --score 1.01 on the 1 frame(s)" in capsys.readouterr().err
    assert json.loads((tmp_path / "detections.json").read_text()) == [{"frame": 0, "detections": [], "file": image.name}]


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


def test_unknown_classes_are_named(model):
    assert class_ids(["person", "3"], small_model(num_classes=91)) == {1, 3}
    assert class_ids(["bicycle", "4"], model) == {2, 4}
    with pytest.raises(ValueError, match="unknown class 'unicorn'"):
        class_ids(["unicorn"], model)
    with pytest.raises(ValueError, match="unknown class 'dog'"):
        class_ids(["dog"], model)  # a model with 5 classes has no class 18
