"""Shared reader pieces: image decoding, lazy frames and masks, box tracks, the dispatcher."""

import warnings

import numpy as np
import pytest
from PIL import Image

from dettrack.data import READERS, FrameMasks, Frames, Sequence, list_images, load_image, open_dataset
from dettrack.data.lazy import decode_mask
from dettrack.data.textfiles import read_box_rows, read_flags
from dettrack.data.tracks import MaskTrack, box_track, mask_box

from fixtures_data import box_mask, write_image, write_lines, write_mask


def test_load_image_converts_gray_rgba_and_palette(tmp_path):
    gray = tmp_path / "gray.png"
    Image.fromarray(np.full((4, 5), 77, dtype=np.uint8)).save(gray)
    rgba = tmp_path / "rgba.png"
    Image.fromarray(np.full((4, 5, 4), 200, dtype=np.uint8)).save(rgba)
    for path, value in ((gray, 77), (rgba, 200)):
        frame = load_image(path)
        assert frame.shape == (4, 5, 3) and frame.dtype == np.uint8
        assert (frame == value).all()


def test_load_image_rejects_16_bit(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(np.full((4, 5), 4000, dtype=np.uint16)).save(path)
    with pytest.raises(ValueError, match=r"deep\.png: unsupported image mode"):
        load_image(path)


def test_corrupt_and_missing_images_are_named(tmp_path):
    good = write_image(tmp_path / "good.jpg")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:60])
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"not an image at all")
    for path in (truncated, garbage):
        with pytest.raises(ValueError, match=rf"{path.name}: corrupt or unreadable image"):
            load_image(path)
    with pytest.raises(FileNotFoundError, match=r"absent\.jpg: image file not found"):
        load_image(tmp_path / "absent.jpg")


def test_frames_are_lazy_and_sliceable(tmp_path):
    paths = [write_image(tmp_path / f"{i}.png", value=i * 20) for i in (1, 2, 3)]
    frames = Frames(paths + [tmp_path / "not_yet_written.png"])  # constructing reads nothing
    assert len(frames) == 4
    assert frames[1][0, 0, 0] == 40
    tail = frames[1:3]
    assert isinstance(tail, Frames) and tail.paths == tuple(paths[1:3])
    assert frames.size() == (12, 16)
    with pytest.raises(FileNotFoundError, match="not_yet_written"):
        frames[3]


def test_list_images_natural_order_ignores_other_files(tmp_path):
    for name in ("img10.jpg", "img2.jpg", "img1.JPEG"):
        write_image(tmp_path / name)
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in list_images(tmp_path)] == ["img1.JPEG", "img2.jpg", "img10.jpg"]


def test_decode_mask_binary_and_palette(tmp_path):
    labels = box_mask(6, 8, (1, 1, 3, 2), value=1)
    box_mask(6, 8, (5, 3, 2, 2), value=2, into=labels)
    palette = write_mask(tmp_path / "p.png", labels, palette=True)
    assert decode_mask(palette).sum() == 10
    assert decode_mask(palette, 2).sum() == 4
    binary = write_mask(tmp_path / "b.png", labels == 1)
    assert decode_mask(binary).sum() == 6
    zero_one = tmp_path / "01.png"
    Image.fromarray((labels == 2).astype(np.uint8)).save(zero_one)
    assert decode_mask(zero_one).sum() == 4


def test_box_track_marks_nan_zero_and_flagged_rows_absent():
    rows = np.array([[1, 2, 3, 4], [np.nan] * 4, [0, 0, 0, 0], [5, 5, 2, 2], [5, 5, 2, 2], [-1, -1, -1, -1]])
    with pytest.warns(UserWarning, match="gt.txt: 1 frames marked visible have an empty box"):
        track = box_track(rows, "gt.txt", visible=np.array([1, 1, 0, 1, 0, 1]))
    assert track.present.tolist() == [True, False, False, True, False, False]
    assert np.isnan(track.boxes[4]).all() and track.boxes[3].tolist() == [5, 5, 2, 2]


def test_mask_track_boxes_from_masks(tmp_path):
    paths = [
        write_mask(tmp_path / "0.png", box_mask(10, 12, (2, 3, 4, 5)) > 0),
        None,
        write_mask(tmp_path / "2.png", np.zeros((10, 12), bool)),
    ]
    track = MaskTrack(FrameMasks(paths))
    assert track.boxes[0].tolist() == [2, 3, 4, 5]
    assert track.labelled.tolist() == [True, False, True]
    assert track.present.tolist() == [True, False, False]
    assert np.isnan(mask_box(np.zeros((3, 3), bool))).all()


def test_sequence_checks_its_lengths(tmp_path):
    frames = Frames([tmp_path / "0.jpg", tmp_path / "1.jpg"])
    with pytest.raises(ValueError, match="sequence walk: 3 ground-truth entries for 2 frames"):
        Sequence("walk", frames, box_track(np.ones((3, 4)), "gt"))
    with pytest.raises(ValueError, match="sequence walk: no frames"):
        Sequence("walk", Frames([]), box_track(np.ones((0, 4)), "gt"))
    sequence = Sequence("walk", frames, box_track(np.ones((2, 4)), "gt"))
    assert sequence.video == "walk" and sequence.mask(0) is None and len(sequence) == 2


def test_text_rows_name_file_and_line(tmp_path):
    bad = write_lines(tmp_path / "gt.txt", ["1,2,3,4", "1,2,three,4"])
    with pytest.raises(ValueError, match=r"gt\.txt:2: expected numbers"):
        read_box_rows(bad)
    short = write_lines(tmp_path / "short.txt", ["1\t2\t3\t4", "1 2 3"])
    with pytest.raises(ValueError, match=r"short\.txt:2: expected 4 values"):
        read_box_rows(short)
    gap = write_lines(tmp_path / "gap.txt", ["1,2,3,4", "", "1,2,3,4"])
    with pytest.raises(ValueError, match=r"gap\.txt:2: empty line"):
        read_box_rows(gap)
    flags = write_lines(tmp_path / "flags.txt", ["0,1,2"])
    with pytest.raises(ValueError, match=r"flags\.txt:1: flag 2 outside 0..1"):
        read_flags(flags, 3)
    with pytest.raises(ValueError, match=r"flags\.txt: 3 flags for 4 frames"):
        read_flags(flags, 4, range(3))


def test_open_dataset_dispatches_and_rejects_unknown_kinds(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset kind 'kitti'"):
        open_dataset("kitti", tmp_path)


@pytest.mark.parametrize("kind", sorted(READERS))
def test_every_reader_names_a_missing_root(kind, tmp_path):
    split = {"imagenet_vid": "train"}.get(kind)
    with pytest.raises(FileNotFoundError, match=r"nowhere: dataset root not found"):
        open_dataset(kind, tmp_path / "nowhere", split)


@pytest.mark.parametrize("kind", ["otb", "uav123", "segtrack", "davis2016", "vot", "lasot"])
def test_every_folder_reader_rejects_an_empty_dataset(kind, tmp_path):
    root = tmp_path / "root"
    (root / "JPEGImages" / "480p").mkdir(parents=True)
    (root / "Annotations" / "480p").mkdir(parents=True)
    if kind != "davis2016":
        root = tmp_path / "empty"
        root.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="no .*sequences"):
            open_dataset(kind, root)
