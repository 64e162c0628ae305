"""GOT-10k reader on fixtures in its exact layout."""

import numpy as np
import pytest

from dettrack.data import open_dataset, read_got10k

from fixtures_data import write_frames, write_lines


def make_got10k(root, split="val", name="GOT-10k_Val_000001", rows=None, absence=None, cover=None):
    folder = root / split / name
    write_frames(folder, 4, "{:08d}.jpg")
    rows = rows or ["11.0000,21.0000,30.0000,40.0000", "12.0,22.0,30.0,40.0", "nan,nan,nan,nan", "14,24,30,40"]
    write_lines(folder / "groundtruth.txt", rows)
    if absence is not None:
        write_lines(folder / "absence.label", absence)
    if cover is not None:
        write_lines(folder / "cover.label", cover)
    write_lines(
        folder / "meta_info.ini",
        ["[METAINFO]", "url: https://example.org/v", "object_class: ruddy turnstone", "motion_class: walking"],
    )
    write_lines(root / split / "list.txt", [name])
    return folder


def test_got10k_boxes_flags_and_class(tmp_path):
    make_got10k(tmp_path, absence=["0", "1", "0", "0"], cover=["8", "0", "3", "8"])
    (sequence,) = open_dataset("got10k", tmp_path, "val")
    assert sequence.name == "GOT-10k_Val_000001" and len(sequence) == 4
    np.testing.assert_array_equal(sequence.boxes[0], [10, 20, 30, 40])  # 1-based -> 0-based
    assert sequence.present.tolist() == [True, False, False, True]  # absence.label, then the NaN row
    assert sequence.frame_flags["cover"].tolist() == [8, 0, 3, 8]
    assert sequence.category == "ruddy turnstone"


def test_got10k_unknown_nan_box_is_absent_and_empty_visible_box_warns(tmp_path):
    make_got10k(tmp_path, absence=["0"] * 4)
    (sequence,) = read_got10k(tmp_path, "val")
    assert sequence.present.tolist() == [True, True, False, True]  # the NaN row: box unknown
    make_got10k(tmp_path, rows=["1,1,5,5", "-1,-1,-1,-1", "1,1,5,5", "1,1,5,5"], absence=["0"] * 4)
    with pytest.warns(UserWarning, match=r"groundtruth\.txt: 1 frames marked visible have an empty box"):
        (sequence,) = read_got10k(tmp_path, "val")
    assert sequence.present.tolist() == [True, False, True, True]


def test_got10k_test_split_has_first_box_only(tmp_path):
    make_got10k(tmp_path, "test", "GOT-10k_Test_000001", rows=["5,6,7,8"])
    (sequence,) = read_got10k(tmp_path, "test")
    assert sequence.labelled.tolist() == [True, False, False, False]
    assert sequence.present.tolist() == [True, False, False, False]
    np.testing.assert_array_equal(sequence.boxes[0], [4, 5, 7, 8])


def test_got10k_errors(tmp_path):
    make_got10k(tmp_path, rows=["1,1,5,5"] * 2)
    with pytest.raises(ValueError, match=r"groundtruth\.txt: 2 ground-truth rows for 4 frames"):
        read_got10k(tmp_path, "val")
    folder = make_got10k(tmp_path, absence=["0", "0", "0"])
    with pytest.raises(ValueError, match=r"absence\.label: 3 flags for 4 frames"):
        read_got10k(tmp_path, "val")
    write_lines(folder / "absence.label", ["0", "0", "0", "0"])
    write_lines(folder / "cover.label", ["8", "9", "8", "8"])
    with pytest.raises(ValueError, match=r"cover\.label:2: flag 9 outside 0..8"):
        read_got10k(tmp_path, "val")
    write_lines(tmp_path / "val" / "list.txt", ["GOT-10k_Val_000001", "GOT-10k_Val_000002"])
    with pytest.raises(FileNotFoundError, match=r"list\.txt: sequence 'GOT-10k_Val_000002' listed but"):
        read_got10k(tmp_path, "val")
    write_lines(tmp_path / "val" / "list.txt", [])
    with pytest.raises(ValueError, match=r"list\.txt: no sequences \(empty split\)"):
        read_got10k(tmp_path, "val")
    with pytest.raises(ValueError, match="unknown GOT-10k split 'dev'"):
        read_got10k(tmp_path, "dev")
    with pytest.raises(FileNotFoundError, match="GOT-10k train split not found"):
        read_got10k(tmp_path, "train")
