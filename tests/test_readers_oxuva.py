"""OxUvA reader: the real dev/test annotations and tasks (no images), pixel boxes on a fixture."""

import numpy as np
import pytest

from dettrack.data import open_dataset, read_oxuva

from conftest import shared_path
from fixtures_data import write_image, write_lines


def test_real_oxuva_dev_tasks_and_sparse_labels():
    sequences = read_oxuva(shared_path("data", "oxuva"), "dev")
    assert len(sequences) == 200
    assert sum(int(s.labelled.sum()) for s in sequences) == 11822  # every annotation row lies in its task
    assert sum(int((s.labelled & ~s.present).sum()) for s in sequences) == 354
    first = {s.name: s for s in sequences}["vid0000/obj0000"]
    assert np.flatnonzero(first.labelled)[:4].tolist() == [0, 30, 60, 90]  # 1 Hz labels at 30 fps
    # annotations/dev.csv: "vid0000,obj0000,...,30,present,0.445,0.604,0.28666666,0.6333333"
    np.testing.assert_allclose(first.track.normalised.boxes[30], [0.445, 0.28666666, 0.159, 0.34666664])
    assert first.frames.paths[30].as_posix().endswith("images/dev/vid0000/000030.jpeg")
    task = {s.name: s for s in sequences}["vid0029/obj0000"]  # tasks/dev.csv: vid0029,obj0000,0,2790
    assert len(task) == 2791


def test_real_oxuva_test_split_has_first_frames_only():
    sequences = open_dataset("oxuva", shared_path("data", "oxuva"), "test")
    assert len(sequences) == 166
    second = {s.name: s for s in sequences}["vid0147/obj0001"]  # vid0147,obj0001,4080,5490,...
    assert len(second) == 5490 - 4080 + 1 and second.frames.paths[0].name == "004080.jpeg"
    assert second.labelled.sum() == 1 and second.present[0]


def make_oxuva(root):
    write_lines(root / "tasks" / "dev.csv", ["vid0001,obj0000,30,120,0.25,0.75,0.5,1.0"])
    write_lines(root / "annotations" / "dev.csv", [
        "vid0001,obj0000,3,dog,unknown,unknown,30,present,0.25,0.75,0.5,1.0",
        "vid0001,obj0000,3,dog,unknown,unknown,60,absent,,,,",
        "vid0001,obj0000,3,dog,unknown,unknown,90,present,0.0,0.5,0.0,0.25",
        "vid0001,obj0000,3,dog,unknown,unknown,150,present,0.0,0.5,0.0,0.25",
    ])  # fmt: skip
    write_image(root / "images" / "dev" / "vid0001" / "000030.jpeg", height=40, width=80)


def test_oxuva_pixel_boxes_from_the_first_frame_size(tmp_path):
    make_oxuva(tmp_path)
    with pytest.warns(UserWarning, match=r"dev\.csv: ignored 1 labels outside their task's frame range"):
        (sequence,) = read_oxuva(tmp_path)
    assert len(sequence) == 91
    assert sequence.labelled[[0, 30, 60]].all() and sequence.labelled.sum() == 3
    assert sequence.present[[0, 60]].all() and not sequence.present[30]
    np.testing.assert_array_equal(sequence.boxes[0], [20, 20, 40, 20])
    np.testing.assert_array_equal(sequence.boxes[60], [0, 0, 40, 10])
    assert sequence.frame(0).shape == (40, 80, 3)
    with pytest.raises(FileNotFoundError, match=r"000031\.jpeg: image file not found"):
        sequence.frame(1)


def test_oxuva_task_without_annotations_is_counted(tmp_path):
    make_oxuva(tmp_path)
    write_lines(tmp_path / "tasks" / "dev.csv", ["vid0002,obj0000,0,60,0.25,0.75,0.5,1.0"])
    with pytest.warns(UserWarning, match="1 tasks have no annotations; only their first frame is labelled"):
        (sequence,) = read_oxuva(tmp_path)
    assert sequence.labelled.sum() == 1


def test_oxuva_errors(tmp_path):
    make_oxuva(tmp_path)
    write_lines(tmp_path / "tasks" / "dev.csv", ["vid0001,obj0000,30,120,0.25,0.75,0.5"])
    with pytest.raises(ValueError, match=r"tasks/dev\.csv:1: expected 8 comma-separated fields"):
        read_oxuva(tmp_path)
    write_lines(tmp_path / "tasks" / "dev.csv", [])
    with pytest.raises(ValueError, match=r"dev\.csv: no tasks \(empty split\)"):
        read_oxuva(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"test\.csv: OxUvA test task list not found"):
        read_oxuva(tmp_path, "test")
