"""LaSOT reader on fixtures in its exact layout."""

import numpy as np
import pytest

from dettrack.data import open_dataset, read_lasot

from fixtures_data import write_frames, write_lines


def make_lasot(root, name="airplane-1", frames=4, occlusion="0,0,1,0", out_of_view="0,0,0,1"):
    folder = root / name.rsplit("-", 1)[0] / name
    write_frames(folder / "img", frames, "{:08d}.jpg")
    write_lines(folder / "groundtruth.txt", [f"{10 + i},{20 + i},30,40" for i in range(frames)])
    write_lines(folder / "full_occlusion.txt", [occlusion])
    write_lines(folder / "out_of_view.txt", [out_of_view])
    write_lines(folder / "nlp.txt", ["white airplane landing"])
    return folder


def test_lasot_presence_from_both_flag_files(tmp_path):
    make_lasot(tmp_path)
    make_lasot(tmp_path, "bear-2", frames=2, occlusion="0,0", out_of_view="0,0")
    sequences = {s.name: s for s in open_dataset("lasot", tmp_path)}
    assert sorted(sequences) == ["airplane-1", "bear-2"]
    airplane = sequences["airplane-1"]
    assert airplane.category == "airplane"
    assert airplane.present.tolist() == [True, True, False, False]
    np.testing.assert_array_equal(airplane.boxes[1], [10, 20, 30, 40])  # 1-based "11,21" -> 0-based
    assert airplane.frame_flags["out_of_view"].tolist() == [0, 0, 0, 1]


def test_lasot_split_files(tmp_path):
    make_lasot(tmp_path)
    make_lasot(tmp_path, "bear-2", frames=2, occlusion="0,0", out_of_view="0,0")
    write_lines(tmp_path / "testing_set.txt", ["bear-2"])
    assert [s.name for s in read_lasot(tmp_path, "test")] == ["bear-2"]
    with pytest.raises(FileNotFoundError, match=r"training_set\.txt: LaSOT train split file not found"):
        read_lasot(tmp_path, "train")
    write_lines(tmp_path / "testing_set.txt", ["cat-3"])
    with pytest.raises(FileNotFoundError, match=r"cat-3: sequence listed in .*testing_set\.txt not found"):
        read_lasot(tmp_path, "test")


def test_lasot_flag_and_row_errors(tmp_path):
    folder = make_lasot(tmp_path, occlusion="0,0,1")
    with pytest.raises(ValueError, match=r"full_occlusion\.txt: 3 flags for 4 frames"):
        read_lasot(tmp_path)
    make_lasot(tmp_path)
    write_lines(folder / "groundtruth.txt", ["11,21,30,40"] * 5)
    with pytest.raises(ValueError, match=r"groundtruth\.txt: 5 ground-truth rows for 4 frames"):
        read_lasot(tmp_path)
    (folder / "out_of_view.txt").unlink()
    write_lines(folder / "groundtruth.txt", ["11,21,30,40"] * 4)
    with pytest.raises(FileNotFoundError, match=r"out_of_view\.txt: LaSOT out_of_view flags not found"):
        read_lasot(tmp_path)
