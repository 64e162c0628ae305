"""UAV123 reader: the real UAV123@10fps sequences, NaN rows, the official anno/data_seq layout."""

import numpy as np
import pytest

from dettrack.data import read_uav123

from conftest import shared_path
from fixtures_data import write_frames, write_lines


def test_real_uav123_10fps():
    sequences = {s.name: s for s in read_uav123(shared_path("data", "uav123_10fps"))}
    assert {name: len(s) for name, s in sequences.items()} == {"boat1": 301, "building4": 263, "person12": 201, "wakeboard7": 67}
    np.testing.assert_array_equal(sequences["boat1"].boxes[0], [196.5, 164.0, 77.5, 159.5])
    np.testing.assert_array_equal(sequences["wakeboard7"].boxes[1], [312.0, 148.0, 5.5, 19.0])
    assert sequences["person12"].frames.paths[-1].name == "000201.jpg"
    assert sequences["building4"].frame(262).shape == (360, 640, 3)


def test_nan_rows_are_absent(tmp_path):
    folder = tmp_path / "car1"
    write_frames(folder, 3, "{:06d}.jpg")
    write_lines(folder / "groundtruth.txt", ["10,20,30,40", "NaN,NaN,NaN,NaN", "11,21,30,40"])
    (sequence,) = read_uav123(tmp_path)
    assert sequence.present.tolist() == [True, False, True]
    assert np.isnan(sequence.boxes[1]).all()


def test_official_layout_skips_sub_ranges_with_a_count(tmp_path):
    write_frames(tmp_path / "data_seq" / "UAV123" / "car1", 2, "{:06d}.jpg")
    write_lines(tmp_path / "anno" / "UAV123" / "car1.txt", ["1,2,3,4", "2,3,4,5"])
    write_frames(tmp_path / "data_seq" / "UAV123" / "bird1", 4, "{:06d}.jpg")
    write_lines(tmp_path / "anno" / "UAV123" / "bird1_1.txt", ["1,2,3,4"])
    with pytest.warns(UserWarning, match="skipped 1 sequences without their own data_seq folder"):
        (sequence,) = read_uav123(tmp_path)
    assert sequence.name == "car1" and sequence.boxes[1].tolist() == [2, 3, 4, 5]
    with pytest.raises(FileNotFoundError, match="UAV20L: UAV123 annotations of split 'UAV20L' not found"):
        read_uav123(tmp_path, "UAV20L")


def test_missing_ground_truth_and_row_mismatch(tmp_path):
    folder = tmp_path / "car1"
    write_frames(folder, 3, "{:06d}.jpg")
    with pytest.raises(FileNotFoundError, match=r"car1/groundtruth\.txt: UAV123 ground truth not found"):
        read_uav123(tmp_path)
    write_lines(folder / "groundtruth.txt", ["1,2,3,4"] * 4)
    with pytest.raises(ValueError, match=r"groundtruth\.txt: 4 ground-truth rows for 3 frames"):
        read_uav123(tmp_path)
