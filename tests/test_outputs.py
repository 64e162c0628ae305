"""The tracking output files: the best-guess box on every frame, presence apart, masks only where present."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dettrack.types import TrackResult
from dettrack.video import TrackWriter


def test_an_absent_frame_keeps_its_box_and_gives_presence_apart(tmp_path):
    frame = np.zeros((40, 60, 3), np.uint8)
    mask = np.zeros((40, 60), bool)
    mask[10:20, 5:15] = True
    writer = TrackWriter(tmp_path, outputs=("boxes", "json", "masks"))
    writer.start_object("car", 0)
    writer.add(0, frame, {"car": TrackResult((5.0, 10.0, 10.0, 10.0), 1.0, True, mask)})
    writer.add(1, frame, {"car": TrackResult((7.5, 11.0, 10.0, 9.0), 0.12, False, mask)})
    written = writer.close()

    assert {p.name for p in written} == {"boxes.txt", "present.txt", "scores.txt", "tracks.json"}
    boxes = (tmp_path / "car" / "boxes.txt").read_text().splitlines()
    assert boxes == ["5.00,10.00,10.00,10.00", "7.50,11.00,10.00,9.00"]  # the absent frame's best guess is kept
    assert (tmp_path / "car" / "present.txt").read_text().split() == ["1", "0"]
    assert (tmp_path / "car" / "scores.txt").read_text().split() == ["1.0000", "0.1200"]
    rows = json.loads((tmp_path / "tracks.json").read_text())
    assert rows[1]["objects"] == [{"id": "car", "box": [7.5, 11.0, 10.0, 9.0], "score": 0.12, "present": False, "mask_index": 1}]
    painted = [np.asarray(Image.open(tmp_path / "masks" / f"{i:05d}.png")) for i in (0, 1)]
    assert (painted[0] == 1).sum() == mask.sum()
    assert not painted[1].any()  # masks follow presence
    said = writer.summary()
    assert f"boxes.txt, present.txt and scores.txt of 1 object(s) in {tmp_path}/<id>/" in said
    assert str(tmp_path / "tracks.json") in said and f"2 mask PNG(s) in {tmp_path / 'masks'}/" in said and "overlay" not in said


def _moving_square(index: int) -> tuple[np.ndarray, TrackResult]:
    frame = np.full((48, 64, 3), 40 + 10 * index, np.uint8)
    mask = np.zeros((48, 64), bool)
    mask[8 + index : 20 + index, 4 + 2 * index : 16 + 2 * index] = True
    return frame, TrackResult((4.0 + 2 * index, 8.0 + index, 12.0, 12.0), 0.9 - 0.1 * index, index != 3, mask)


def test_a_background_writer_writes_exactly_what_the_writer_in_the_callers_thread_writes(tmp_path):
    folders = {}
    for background in (False, True):
        folder = folders[background] = tmp_path / str(background)
        writer = TrackWriter(folder, 10.0, background=background)
        for index in range(8):
            frame, result = _moving_square(index)
            if index == 0:
                writer.start_object(1, 0)
            if index == 5:  # an object starting while earlier frames may still be queued keeps its colour
                writer.start_object("dog", 5, "dog")
            results = ({1: result} if index < 7 else {}) | ({"dog": result} if index >= 5 else {})
            writer.add(index, frame, results)
            if index == 6:  # object 1's track ends: its files are finalised in order, in either thread
                writer.end_object(1)
        assert sorted(p.relative_to(folder) for p in writer.close()) == sorted(
            Path(p) for p in ("1/boxes.txt", "1/present.txt", "1/scores.txt", "dog/boxes.txt", "dog/present.txt", "dog/scores.txt", "tracks.json", "mot.txt", "overlay.mp4")
        )
        assert writer.frames == 8 and not list(folder.rglob("*.partial"))
    same, theirs = folders[False], folders[True]
    for path in sorted(p for p in same.rglob("*") if p.is_file()):  # the overlay too: one encoder thread, deterministic
        assert path.read_bytes() == (theirs / path.relative_to(same)).read_bytes(), path.name
    painted = np.asarray(Image.open(theirs / "masks" / "00006.png"))
    assert set(np.unique(painted)) == {0, 2}  # frame 6: the dog (palette 2) painted last, over object 1
    row = json.loads((theirs / "tracks.json").read_text())[6]
    assert {o["id"]: o["mask_index"] for o in row["objects"]} == {1: 1, "dog": 2}  # tracks.json says which value is whose


def test_a_background_writers_failure_is_raised_and_nothing_is_finalised(tmp_path):
    writer = TrackWriter(tmp_path, outputs=("boxes", "masks"), background=True)
    writer.start_object(1, 0)
    frame, result = _moving_square(0)
    writer.add(0, frame, {1: result})
    writer.add(1, frame, {1: TrackResult(result.box, 0.9, True, np.ones((5, 5), bool))})  # a mask of the wrong size
    for index in range(2, 12):  # the queue keeps taking frames after the failure: add() never blocks forever
        try:
            writer.add(index, frame, {1: result})
        except ValueError:
            break
    with pytest.raises(ValueError, match="frame 1: the mask of object 1 is 5x5"):
        writer.close()
    assert not (tmp_path / "1" / "boxes.txt").exists()  # the text outputs stay partial


def test_an_ended_objects_files_are_final_at_once_and_it_takes_no_more_rows(tmp_path):
    writer = TrackWriter(tmp_path, outputs=("boxes", "json"))
    for obj_id in (1, 2):
        writer.start_object(obj_id, 0)
    for index in range(3):
        frame, result = _moving_square(index)
        writer.add(index, frame, {1: result, 2: result} if index < 2 else {2: result})
        if index == 1:
            writer.end_object(1)
            assert (tmp_path / "1" / "boxes.txt").read_text().count("\n") == 2  # complete while the run goes on
            assert not (tmp_path / "2" / "boxes.txt").exists()
    with pytest.raises(ValueError, match="frame 3: object\\(s\\) 1 ended before"):
        writer.add(3, frame, {1: result, 2: result})
    with pytest.raises(ValueError, match="frame 3: object 2 was started before"):
        writer.start_object(2, 3)
    with pytest.raises(ValueError, match="frame 3: object '2' was started before, or another whose id reads the same"):
        writer.start_object("2", 3)  # its files would be object 2's
    written = writer.close()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == ["1/boxes.txt", "1/present.txt", "1/scores.txt", "2/boxes.txt", "2/present.txt", "2/scores.txt", "tracks.json"]
    assert (tmp_path / "2" / "present.txt").read_text().split() == ["1", "1", "1"]


def test_more_objects_than_a_palette_holds_get_16_bit_masks_with_the_same_values(tmp_path):
    frame = np.zeros((20, 20, 3), np.uint8)

    def result(number: int) -> TrackResult:  # object k paints pixel k of the frame
        mask = np.zeros(400, bool)
        mask[number] = True
        return TrackResult((0.0, 0.0, 5.0, 5.0), 0.9, True, mask.reshape(20, 20))

    writer = TrackWriter(tmp_path, outputs=("masks",))
    for number in range(1, 256):
        writer.start_object(f"o{number}", 0)
    writer.add(0, frame, {f"o{n}": result(n) for n in range(1, 256)})
    with pytest.warns(UserWarning, match="number 256: palette PNGs hold 255, so the mask PNGs from frame 1 on are 16-bit"):
        for number in range(256, 301):
            writer.start_object(f"o{number}", 1)
    writer.add(1, frame, {f"o{n}": result(n) for n in range(1, 301)})
    writer.close()
    first, second = (Image.open(tmp_path / "masks" / f"{i:05d}.png") for i in (0, 1))
    assert first.mode == "P" and second.mode == "I;16"
    assert np.array_equal(np.asarray(first).ravel()[:256], np.arange(256))  # pixel k holds object k's palette index
    assert np.array_equal(np.asarray(second).ravel()[:301], np.arange(301)) and not np.asarray(second).ravel()[301:].any()
