"""DAVIS 2016 / 2017 readers: the real DAVIS-2016 sequences and palette fixtures."""

import numpy as np
import pytest

from dettrack.data import open_dataset, read_davis2016, read_davis2017

from conftest import shared_path
from fixtures_data import box_mask, write_frames, write_lines, write_mask

FRAME_COUNTS = {
    "blackswan": 50, "bmx-trees": 80, "breakdance": 84, "camel": 90, "car-roundabout": 75,
    "cows": 104, "dog": 60, "goat": 90, "kite-surf": 50, "libby": 49,
}  # fmt: skip


def test_real_davis2016_frames_masks_and_boxes():
    sequences = {s.name: s for s in read_davis2016(shared_path("data", "davis2016"))}
    assert {name: len(s) for name, s in sequences.items()} == FRAME_COUNTS
    blackswan = sequences["blackswan"]
    mask = blackswan.mask(0)
    assert mask.shape == (480, 854) and mask.dtype == bool
    assert mask.sum() == 41343 and sequences["kite-surf"].mask(0).sum() == 9895
    np.testing.assert_array_equal(blackswan.boxes[0], [127, 73, 383, 312])  # tight box around the mask
    ys, xs = np.nonzero(mask)
    assert (xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()) == (127, 73, 383, 312)
    assert blackswan.present.all() and blackswan.labelled.all()
    assert blackswan.frame(49).shape == (480, 854, 3)


def make_davis(root, videos=("bear",), frames=3, palette=False, objects=1):
    for video in videos:
        write_frames(root / "JPEGImages" / "480p" / video, frames, "{:05d}.jpg", start=0, height=20, width=30)
        for i in range(frames):
            labels = box_mask(20, 30, (2 + i, 3, 5, 4), value=1)
            if objects > 1:
                box_mask(20, 30, (15, 10 + i, 6, 3), value=2, into=labels)
            write_mask(root / "Annotations" / "480p" / video / f"{i:05d}.png", labels if palette else labels > 0, palette)


def test_davis2016_splits_both_imageset_styles(tmp_path):
    make_davis(tmp_path, ("bear", "boat", "car"))
    write_lines(tmp_path / "ImageSets" / "480p" / "val.txt", [
        "/JPEGImages/480p/boat/00000.jpg /Annotations/480p/boat/00000.png",
        "/JPEGImages/480p/boat/00001.jpg /Annotations/480p/boat/00001.png",
        "/JPEGImages/480p/car/00000.jpg /Annotations/480p/car/00000.png",
    ])  # fmt: skip
    assert [s.name for s in read_davis2016(tmp_path, "val")] == ["boat", "car"]
    write_lines(tmp_path / "ImageSets" / "2016" / "train.txt", ["bear"])
    (bear,) = open_dataset("davis2016", tmp_path, "train")
    np.testing.assert_array_equal(bear.boxes[:, 0], [2, 3, 4])
    assert bear.mask(1).sum() == 20
    with pytest.raises(FileNotFoundError, match="DAVIS split file for split 'test-dev' not found"):
        read_davis2016(tmp_path, "test-dev")


def test_davis2017_one_sequence_per_object(tmp_path):
    make_davis(tmp_path, palette=True, objects=2)
    write_lines(tmp_path / "ImageSets" / "2017" / "val.txt", ["bear"])
    first, second = read_davis2017(tmp_path, "val")
    assert (first.name, second.name, second.video, second.object_id) == ("bear/1", "bear/2", "bear", 2)
    np.testing.assert_array_equal(second.boxes[2], [15, 12, 6, 3])
    assert first.mask(0).sum() == 20 and second.mask(0).sum() == 18
    (merged,) = read_davis2016(tmp_path)  # 2016 view of 2017 masks: every object is foreground
    assert merged.mask(0).sum() == 38


def test_davis_test_dev_frames_without_masks_are_unlabelled(tmp_path):
    make_davis(tmp_path, palette=True)
    for name in ("00001.png", "00002.png"):
        (tmp_path / "Annotations" / "480p" / "bear" / name).unlink()
    (sequence,) = read_davis2017(tmp_path)
    assert sequence.labelled.tolist() == [True, False, False]
    assert sequence.mask(1) is None


def test_davis_errors(tmp_path):
    make_davis(tmp_path)
    masks = tmp_path / "Annotations" / "480p" / "bear"
    (masks / "00000.png").unlink()
    with pytest.raises(ValueError, match="no mask for the first frame 00000.jpg"):
        read_davis2016(tmp_path)
    write_mask(masks / "00000.png", np.ones((20, 30), bool))
    write_mask(masks / "00007.png", np.ones((20, 30), bool))
    with pytest.raises(ValueError, match=r"00007\.png: mask has no frame of the same name"):
        read_davis2016(tmp_path)
    (masks / "00007.png").unlink()
    (masks / "00002.png").write_bytes(b"\x89PNG broken")
    (sequence,) = read_davis2016(tmp_path)
    with pytest.raises(ValueError, match=r"00002\.png: corrupt or unreadable image"):
        _ = sequence.boxes  # masks are read when the boxes are first needed
    for path in (tmp_path / "JPEGImages" / "480p" / "bear").iterdir():
        path.unlink()
    with pytest.raises(ValueError, match=r"bear: sequence has no frames"):
        read_davis2016(tmp_path)


def test_davis2017_video_without_objects_is_counted(tmp_path):
    make_davis(tmp_path, ("bear", "boat"), palette=True)
    write_mask(tmp_path / "Annotations" / "480p" / "boat" / "00000.png", np.zeros((20, 30), np.uint8), palette=True)
    with pytest.warns(UserWarning, match="skipped 1 videos whose first mask holds no object"):
        (bear,) = read_davis2017(tmp_path)
    assert bear.name == "bear/1"
