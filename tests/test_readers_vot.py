"""VOT reader: polygons, rectangles, long-term absence, both frame layouts."""

import numpy as np
import pytest

from dettrack.data import read_vot

from fixtures_data import write_frames, write_lines


def test_vot_polygons_and_rectangles(tmp_path):
    write_frames(tmp_path / "ants1" / "color", 3, "{:08d}.jpg")
    write_lines(
        tmp_path / "ants1" / "groundtruth.txt",
        ["10,20,40,20,40,50,10,50", "12.5,5,30.5,9,26.5,27,8.5,23", "5,6,7,8"],
    )
    write_frames(tmp_path / "bag", 2, "{:08d}.jpg")  # older layout: frames next to groundtruth.txt
    write_lines(tmp_path / "bag" / "groundtruth.txt", ["1,2,3,4", "nan,nan,nan,nan"])
    write_lines(tmp_path / "list.txt", ["ants1", "bag"])
    ants, bag = read_vot(tmp_path)
    np.testing.assert_array_equal(ants.boxes[0], [10, 20, 30, 30])
    np.testing.assert_array_equal(ants.boxes[1], [8.5, 5, 22, 22])  # the box enclosing the rotated one
    np.testing.assert_array_equal(ants.boxes[2], [5, 6, 7, 8])
    assert ants.frames.paths[0].parent.name == "color"
    assert bag.present.tolist() == [True, False]


def test_vot_zero_rows_are_absent(tmp_path):
    write_frames(tmp_path / "car9", 2, "{:08d}.jpg")
    write_lines(tmp_path / "car9" / "groundtruth.txt", ["0,0,0,0", "1,2,3,4"])
    (sequence,) = read_vot(tmp_path)
    assert sequence.present.tolist() == [False, True]


def test_vot_bad_lines(tmp_path):
    write_frames(tmp_path / "ants1", 2, "{:08d}.jpg")
    gt = write_lines(tmp_path / "ants1" / "groundtruth.txt", ["1,2,3,4", "1,2,3,4,5,6"])
    with pytest.raises(ValueError, match=r"groundtruth\.txt:2: expected 4 \(rectangle\) or 8 \(polygon\) values, got 6"):
        read_vot(tmp_path)
    write_lines(gt, ["1,2,3,4", "m10,10,4,4,3,5,8"])
    with pytest.raises(ValueError, match=r"groundtruth\.txt:2: VOT mask regions are not supported"):
        read_vot(tmp_path)
    write_lines(gt, ["1,2,3,4"])
    with pytest.raises(ValueError, match=r"groundtruth\.txt: 1 ground-truth rows for 2 frames"):
        read_vot(tmp_path)
