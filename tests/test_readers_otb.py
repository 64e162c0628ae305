"""OTB reader: fixtures in the exact format and the real Couple / Crossing / Football1."""

import json

import numpy as np
import pytest

from dettrack.data import open_dataset, read_otb

from conftest import shared_path
from fixtures_data import write_frames, write_lines


def test_real_otb_boxes_are_zero_based_and_football1_stops_at_frame_74():
    sequences = {s.name: s for s in read_otb(shared_path("data", "otb"))}
    assert sorted(sequences) == ["Couple", "Crossing", "Football1"]
    assert len(sequences["Couple"]) == 140 and len(sequences["Crossing"]) == 120
    football = sequences["Football1"]
    assert len(football) == 74  # 81 images, ground truth for frames 1-74
    assert football.frames.paths[0].name == "0001.jpg" and football.frames.paths[-1].name == "0074.jpg"
    # groundtruth_rect.txt line 1 is "153,105,26,43" (comma-separated), 1-based
    np.testing.assert_array_equal(football.boxes[0], [152, 104, 26, 43])
    np.testing.assert_array_equal(football.boxes[73], [211, 135, 31, 43])
    # Couple is tab-separated: line 1 "51\t47\t25\t62"
    np.testing.assert_array_equal(sequences["Couple"].boxes[0], [50, 46, 25, 62])
    np.testing.assert_array_equal(sequences["Crossing"].boxes[119], [55, 92, 14, 36])
    assert all(s.present.all() and s.labelled.all() for s in sequences.values())
    assert sequences["Couple"].frame(139).shape == (240, 320, 3)


def test_separators_and_two_target_sequences(tmp_path):
    write_frames(tmp_path / "Walk" / "img", 3)
    write_lines(tmp_path / "Walk" / "groundtruth_rect.txt", ["1\t2\t3\t4", "5,6,7,8", "9  10 11\t12"])
    write_frames(tmp_path / "Jogging" / "img", 2)
    write_lines(tmp_path / "Jogging" / "groundtruth_rect.1.txt", ["11,11,5,5", "12,12,5,5"])
    write_lines(tmp_path / "Jogging" / "groundtruth_rect.2.txt", ["21,21,5,5", "22,22,5,5"])
    sequences = {s.name: s for s in open_dataset("otb", tmp_path)}
    assert sorted(sequences) == ["Jogging-1", "Jogging-2", "Walk"]
    np.testing.assert_array_equal(sequences["Walk"].boxes, [[0, 1, 3, 4], [4, 5, 7, 8], [8, 9, 11, 12]])
    assert sequences["Jogging-2"].video == "Jogging"
    np.testing.assert_array_equal(sequences["Jogging-2"].boxes[1], [21, 21, 5, 5])


def test_frame_range_from_known_table_without_cfg(tmp_path):
    write_frames(tmp_path / "Football1" / "img", 81)
    write_lines(tmp_path / "Football1" / "groundtruth_rect.txt", [f"{i},{i},5,5" for i in range(1, 75)])
    (sequence,) = read_otb(tmp_path)
    assert len(sequence) == 74 and sequence.frames.paths[-1].name == "0074.jpg"
    np.testing.assert_array_equal(sequence.boxes[73], [73, 73, 5, 5])


def test_frame_range_from_cfg_json_not_starting_at_one(tmp_path):
    folder = tmp_path / "Clip"
    write_frames(folder / "img", 6)
    (folder / "cfg.json").write_text(json.dumps({"startFrame": 3, "endFrame": 5}))
    write_lines(folder / "groundtruth_rect.txt", ["3,3,5,5", "4,4,5,5", "5,5,5,5"])
    (sequence,) = read_otb(tmp_path)
    assert [p.name for p in sequence.frames.paths] == ["0003.jpg", "0004.jpg", "0005.jpg"]
    np.testing.assert_array_equal(sequence.boxes[0], [2, 2, 5, 5])


def test_row_count_mismatch_and_bad_line_are_errors(tmp_path):
    folder = tmp_path / "Walk"
    write_frames(folder / "img", 3)
    gt = write_lines(folder / "groundtruth_rect.txt", ["1,2,3,4", "1,2,3,4"])
    with pytest.raises(ValueError, match=r"groundtruth_rect\.txt: 2 ground-truth rows for 3 frames"):
        read_otb(tmp_path)
    write_lines(gt, ["1,2,3,4", "1,2,3,4", "1,2,3,4", "1,2,3,4"])
    with pytest.raises(ValueError, match=r"4 ground-truth rows for 3 frames"):
        read_otb(tmp_path)
    write_lines(gt, ["1,2,3,4", "1,2,x3,4", "1,2,3,4"])
    with pytest.raises(ValueError, match=r"groundtruth_rect\.txt:2: expected numbers"):
        read_otb(tmp_path)


def test_range_with_missing_image_and_folder_without_frames(tmp_path):
    folder = tmp_path / "Clip"
    write_frames(folder / "img", 2)
    (folder / "cfg.json").write_text(json.dumps({"startFrame": 1, "endFrame": 3}))
    write_lines(folder / "groundtruth_rect.txt", ["1,1,5,5"] * 3)
    with pytest.raises(ValueError, match="frame 3 of range 1-3 not found"):
        read_otb(tmp_path)
    (folder / "cfg.json").unlink()
    for path in (folder / "img").iterdir():
        path.unlink()
    with pytest.raises(ValueError, match=r"img: sequence has no frames"):
        read_otb(tmp_path)


def test_folders_without_ground_truth_are_counted(tmp_path):
    write_frames(tmp_path / "Walk" / "img", 1)
    write_lines(tmp_path / "Walk" / "groundtruth_rect.txt", ["1,1,5,5"])
    (tmp_path / "extras").mkdir()
    with pytest.warns(UserWarning, match="skipped 1 folders without groundtruth_rect"):
        assert len(read_otb(tmp_path)) == 1
    with pytest.raises(ValueError, match="otb has no splits"):
        read_otb(tmp_path, "test")
