"""YouTube-VOS reader on a fixture in its exact layout (meta.json and palette PNGs)."""

import json

import numpy as np
import pytest

from dettrack.data import open_dataset, read_youtube_vos

from fixtures_data import box_mask, write_frames, write_mask


def make_ytvos(root, split="train"):
    folder = root / split
    write_frames(folder / "JPEGImages" / "003234408d", 4, "{:05d}.jpg", start=0, height=20, width=30)
    # JPEGImages in the train split hold every 5th frame: rename to 00000, 00005, ...
    for i, path in enumerate(sorted((folder / "JPEGImages" / "003234408d").iterdir())):
        path.rename(path.with_name(f"{5 * i:05d}.jpg"))
    for i in range(4):
        labels = box_mask(20, 30, (1 + i, 2, 4, 4), value=1)
        if i >= 1:
            box_mask(20, 30, (20, 10, 5, 5 + i), value=2, into=labels)
        write_mask(folder / "Annotations" / "003234408d" / f"{5 * i:05d}.png", labels, palette=True)
    meta = {"videos": {"003234408d": {"objects": {
        "1": {"category": "penguin", "frames": ["00000", "00005", "00010", "00015"]},
        "2": {"category": "penguin", "frames": ["00005", "00010", "00015"]},
    }}}}  # fmt: skip
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


def test_one_sequence_per_object_from_its_first_frame(tmp_path):
    make_ytvos(tmp_path)
    first, second = open_dataset("youtube_vos", tmp_path, "train")
    assert (first.name, first.category, first.object_id) == ("003234408d/1", "penguin", 1)
    assert len(first) == 4 and len(second) == 3
    assert second.frames.paths[0].name == "00005.jpg"
    np.testing.assert_array_equal(second.boxes[2], [20, 10, 5, 8])
    np.testing.assert_array_equal(first.boxes[3], [4, 2, 4, 4])
    assert second.mask(0).sum() == 30


def test_validation_split_first_appearance_masks_only(tmp_path):
    folder = make_ytvos(tmp_path, "valid")
    for name in ("00010.png", "00015.png"):
        (folder / "Annotations" / "003234408d" / name).unlink()
    first, second = read_youtube_vos(folder)
    assert first.labelled.tolist() == [True, True, False, False]
    assert second.labelled.tolist() == [True, False, False]


def test_youtube_vos_errors(tmp_path):
    folder = make_ytvos(tmp_path)
    meta = folder / "meta.json"
    meta.write_text('{"videos": {"003234408d": {"objects": {"1": {"frames": ["00000"]},}}}}')
    with pytest.raises(ValueError, match=r"meta\.json:1: malformed JSON"):
        read_youtube_vos(tmp_path, "train")
    meta.write_text(json.dumps({"videos": {"003234408d": {"objects": {"1": {"frames": ["00099"]}}}}}))
    with pytest.raises(ValueError, match=r"meta\.json: video 003234408d object 1: frame '00099' not in"):
        read_youtube_vos(tmp_path, "train")
    meta.write_text(json.dumps({"videos": {"003234408d": {"objects": {"one": {"frames": ["00000"]}}}}}))
    with pytest.raises(ValueError, match="object 'one': expected an integer id"):
        read_youtube_vos(tmp_path, "train")
    meta.write_text(json.dumps({"videos": {}}))
    with pytest.raises(ValueError, match=r"meta\.json: no videos \(empty split\)"):
        read_youtube_vos(tmp_path, "train")
    with pytest.raises(FileNotFoundError, match="YouTube-VOS valid split not found"):
        read_youtube_vos(tmp_path, "valid")
