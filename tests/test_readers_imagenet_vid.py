"""ImageNet VID reader on a fixture in its exact layout (per-frame PASCAL-style XML)."""

import numpy as np
import pytest

from dettrack.data import read_imagenet_vid

from fixtures_data import write_frames, write_lines

SNIPPET = "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000"


def xml(objects):
    parts = [f"""<object><trackid>{t}</trackid><name>{name}</name><bndbox><xmax>{x2}</xmax><xmin>{x1}</xmin>
    <ymax>{y2}</ymax><ymin>{y1}</ymin></bndbox><occluded>{occ}</occluded><generated>0</generated></object>"""
             for t, name, (x1, y1, x2, y2), occ in objects]  # fmt: skip
    return [f"<annotation><folder>{SNIPPET}</folder><size><width>16</width><height>12</height></size>", *parts, "</annotation>"]


def make_vid(root):
    write_frames(root / "Data" / "VID" / "train" / SNIPPET, 3, "{:06d}.JPEG", start=0)
    annotations = root / "Annotations" / "VID" / "train" / SNIPPET
    write_lines(annotations / "000000.xml", xml([(0, "n02084071", (2, 3, 9, 8), 0)]))
    write_lines(annotations / "000001.xml", xml([(0, "n02084071", (3, 3, 10, 8), 1), (1, "n02121808", (0, 0, 4, 4), 0)]))
    write_lines(annotations / "000002.xml", xml([(1, "n02121808", (1, 0, 5, 4), 0)]))
    return annotations


def test_vid_tracks(tmp_path):
    make_vid(tmp_path)
    dog, cat = read_imagenet_vid(tmp_path, "train")
    assert (dog.name, dog.video, dog.object_id, dog.category) == (f"{SNIPPET}/0", SNIPPET, 0, "n02084071")
    np.testing.assert_array_equal(dog.boxes[0], [2, 3, 8, 6])  # inclusive pixel indices
    assert dog.present.tolist() == [True, True, False]
    assert dog.frame_flags["occluded"].tolist() == [False, True, False]
    assert len(cat) == 2 and cat.frames.paths[0].name == "000001.JPEG"  # starts where it appears
    np.testing.assert_array_equal(cat.boxes[1], [1, 0, 5, 5])


def test_vid_snippet_without_objects_is_counted(tmp_path):
    make_vid(tmp_path)
    empty = "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000001"
    write_frames(tmp_path / "Data" / "VID" / "train" / empty, 1, "{:06d}.JPEG", start=0)
    write_lines(tmp_path / "Annotations" / "VID" / "train" / empty / "000000.xml", xml([]))
    with pytest.warns(UserWarning, match="1 snippets have no annotated object"):
        assert len(read_imagenet_vid(tmp_path, "train")) == 2


def test_vid_errors(tmp_path):
    annotations = make_vid(tmp_path)
    write_lines(annotations / "000002.xml", ["<annotation>", "<object><trackid>1</trackid>", "</annotation>"])
    with pytest.raises(ValueError, match=r"000002\.xml:3: malformed XML"):
        read_imagenet_vid(tmp_path, "train")
    write_lines(annotations / "000002.xml", xml([(1, "n02121808", (1, 0, "five", 4), 0)]))
    with pytest.raises(ValueError, match=r"000002\.xml: object 0: expected <trackid>, <name> and <bndbox>"):
        read_imagenet_vid(tmp_path, "train")
    (annotations / "000002.xml").unlink()
    with pytest.raises(FileNotFoundError, match=r"000002\.xml: annotation of frame 000002 not found"):
        read_imagenet_vid(tmp_path, "train")
    with pytest.raises(ValueError, match=r"ImageNet VID split must be one of \('train', 'val'\), got None"):
        read_imagenet_vid(tmp_path)
    with pytest.raises(FileNotFoundError, match="ImageNet VID val frames not found"):
        read_imagenet_vid(tmp_path, "val")
