"""The tracking output files: the best-guess box on every frame, presence apart, masks only where present."""

import json

import numpy as np
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
    assert rows[1]["objects"] == [{"id": "car", "box": [7.5, 11.0, 10.0, 9.0], "score": 0.12, "present": False}]
    painted = [np.asarray(Image.open(tmp_path / "masks" / f"{i:05d}.png")) for i in (0, 1)]
    assert (painted[0] == 1).sum() == mask.sum()
    assert not painted[1].any()  # masks follow presence
    said = writer.summary()
    assert f"boxes.txt, present.txt and scores.txt of 1 object(s) in {tmp_path}/<id>/" in said
    assert str(tmp_path / "tracks.json") in said and f"2 mask PNG(s) in {tmp_path / 'masks'}/" in said and "overlay" not in said
