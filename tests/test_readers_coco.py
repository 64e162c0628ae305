"""COCO reader: polygon / RLE fixtures, the real coco128 and fruits_nuts sets, malformed files."""

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from dettrack.data import open_dataset, read_coco, read_coco_file

from conftest import shared_path
from fixtures_data import box_mask, write_image


def test_real_coco128():
    records = read_coco(shared_path("data", "coco128"))  # finds annotations/instances_train2017.json and train2017/
    assert len(records) == 128
    assert sum(len(r) for r in records) == 939
    assert sum(len(r) == 0 for r in records) == 2  # images without annotations are kept
    assert sum(int(r.iscrowd.sum()) for r in records) == 10
    by_id = {r.image_id: r for r in records}
    dogs = by_id[74]
    assert dogs.path.name == "000000000074.jpg" and (dogs.height, dogs.width) == (426, 640)
    np.testing.assert_allclose(dogs.boxes[0], [61.87, 276.25, 296.42, 103.18])
    assert dogs.labels[:2].tolist() == [18, 2] and dogs.label_names[:2] == ("dog", "bicycle")
    assert dogs.masks[0].sum() == 18225  # polygon of area 18234.6
    assert dogs.image().shape == (426, 640, 3)
    crowd = by_id[149]
    k = int(np.flatnonzero(crowd.iscrowd)[0])
    assert crowd.masks[k].sum() == 1958  # uncompressed RLE: the sum of its foreground runs
    assert crowd.mask_array().shape == (len(crowd), 428, 640)


def test_real_fruits_nuts():
    records = open_dataset("coco", shared_path("data", "fruits_nuts"))  # trainval.json and images/
    assert len(records) == 18 and sum(len(r) for r in records) == 165
    assert {name for r in records for name in r.label_names} == {"date", "fig", "hazelnut"}
    first = {r.image_id: r for r in records}[0]
    np.testing.assert_array_equal(first.boxes[0], [101, 118, 136, 167])
    assert first.labels[0] == 1 and first.masks[0].sum() > 0.9 * 15584


def coco_fixture(root):
    write_image(root / "images" / "a.jpg", height=12, width=16)
    write_image(root / "images" / "b.jpg", height=12, width=16)
    compressed = mask_utils.encode(np.asfortranarray(box_mask(12, 16, (8, 2, 5, 3))))
    data = {
        "images": [{"id": 1, "file_name": "a.jpg", "height": 12, "width": 16}, {"id": 2, "file_name": "b.jpg", "height": 12, "width": 16}],
        "categories": [{"id": 1, "name": "cat"}, {"id": 7, "name": "dog"}],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4], "iscrowd": 0, "segmentation": [[1, 1, 5, 1, 5, 5, 1, 5]]},
            {"id": 11, "image_id": 1, "category_id": 7, "bbox": [8, 2, 5, 3], "iscrowd": 0,
             "segmentation": {"size": [12, 16], "counts": compressed["counts"].decode()}},
            {"id": 12, "image_id": 1, "category_id": 7, "bbox": [0, 10, 16, 2], "iscrowd": 1,
             "segmentation": {"size": [12, 16], "counts": [10, 2] * 16}},
            {"id": 13, "image_id": 1, "category_id": 1, "bbox": [3, 3, 0, 4], "iscrowd": 0, "segmentation": []},
            {"id": 14, "image_id": 1, "category_id": 1, "bbox": [2, 2, 2, 2]},
        ],
    }  # fmt: skip
    path = root / "annotations.json"
    path.write_text(json.dumps(data, indent=1))
    return path, data


def test_coco_fixture_polygons_rle_and_degenerate_boxes(tmp_path):
    coco_fixture(tmp_path)
    with pytest.warns(UserWarning, match=r"annotations\.json: dropped 1 annotations with zero-size boxes"):
        a, b = read_coco(tmp_path, annotations="annotations.json", images="images")
    assert len(a) == 4 and len(b) == 0 and b.boxes.shape == (0, 4)
    assert a.labels.tolist() == [1, 7, 7, 1] and a.label_names == ("cat", "dog", "dog", "cat")
    assert a.iscrowd.tolist() == [False, False, True, False]
    polygon = a.masks[0]
    assert polygon.shape == (12, 16) and polygon[1:5, 1:5].all() and polygon.sum() == 16
    assert a.masks[1].sum() == 15 and a.masks[1][2:5, 8:13].all()
    assert a.masks[2].sum() == 32  # 16 runs of 2 foreground pixels
    assert a.masks[3] is None  # a box-only instance
    assert a.mask_array()[3].sum() == 0


def test_coco_malformed_files(tmp_path):
    path, data = coco_fixture(tmp_path)
    path.write_text('{\n"images": [\n}\n')
    with pytest.raises(ValueError, match=r"annotations\.json:3: malformed JSON"):
        read_coco_file(path, tmp_path / "images")

    def broken(change, match):
        bad = json.loads(json.dumps(data))
        change(bad)
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=match):
            read_coco_file(path, tmp_path / "images")

    broken(lambda d: d["annotations"][0].pop("bbox"), r"annotations\[0\] needs 'bbox' as four finite numbers")
    broken(lambda d: d["annotations"][1].update(image_id=99), r"annotations\[1\] refers to unknown image_id 99")
    broken(lambda d: d["annotations"][1].update(category_id=3), r"annotations\[1\] refers to unknown category_id 3")
    broken(lambda d: d["images"][1].pop("height"), r"images\[1\] needs int 'height', got None")
    broken(lambda d: d["annotations"][0].update(segmentation=[[1, 2, 3]]), r"annotations\[0\] has a polygon that is not")
    broken(
        lambda d: d["annotations"][2]["segmentation"].update(counts=[10, 2]),
        r"annotations\[2\] has an RLE of 12 pixels for a 12x16 image",
    )
    broken(lambda d: d.pop("categories"), r"missing or non-list 'categories'")
    broken(lambda d: d.update(images=[], annotations=[]), r"no images \(empty split\)")


def test_coco_missing_and_corrupt_images(tmp_path):
    coco_fixture(tmp_path)
    (tmp_path / "images" / "b.jpg").unlink()
    with (
        pytest.warns(UserWarning, match="zero-size"),
        pytest.raises(FileNotFoundError, match=r"b\.jpg: image file not found \(1 images of .*annotations\.json missing\)"),
    ):
        read_coco(tmp_path, annotations="annotations.json", images="images")
    (tmp_path / "images" / "b.jpg").write_bytes(b"\xff\xd8\xff garbage")
    with pytest.warns(UserWarning):
        records = read_coco(tmp_path, annotations="annotations.json")  # images/ found by name
    with pytest.raises(ValueError, match=r"b\.jpg: corrupt or unreadable image"):
        records[1].image()
    write_image(tmp_path / "images" / "b.jpg", height=10, width=16)
    with pytest.raises(ValueError, match=r"b\.jpg: image is 10x16, annotation says 12x16"):
        records[1].image()


def test_coco_annotation_discovery(tmp_path):
    coco_fixture(tmp_path)
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(ValueError, match=r"expected one COCO JSON file .*found annotations\.json, other\.json"):
        read_coco(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"instances_val2017\.json: COCO annotations of split 'val2017' not found"):
        read_coco(tmp_path, "val2017")
