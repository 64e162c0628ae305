"""SegTrack-style reader: the real SegTrack v2 'bmx' and a fixture."""

import numpy as np
import pytest

from dettrack.data import read_segtrack

from conftest import shared_path
from fixtures_data import box_mask, write_frames, write_mask


def test_real_segtrack_bmx():
    (bmx,) = read_segtrack(shared_path("data", "segtrackv2"))
    assert bmx.name == "bmx" and len(bmx) == 36
    assert bmx.frames.paths[0].name == "bmx_06668.jpg" and bmx.masks.paths[0].name == "bmx_06668.png"
    assert bmx.mask(0).shape == (360, 640) and bmx.mask(0).sum() == 2446
    np.testing.assert_array_equal(bmx.boxes[0], [136, 225, 88, 135])
    assert bmx.present.all()
    assert bmx.frame(35).shape == (360, 640, 3)


def test_segtrack_fixture_and_missing_annotations(tmp_path):
    frames = write_frames(tmp_path / "girl" / "JPEGImages", 2, "girl_{:03d}.png", height=10, width=10)
    for i, frame in enumerate(frames):
        write_mask(tmp_path / "girl" / "Annotations" / f"{frame.stem}.png", box_mask(10, 10, (i, 1, 3, 3)) > 0)
    (girl,) = read_segtrack(tmp_path)
    np.testing.assert_array_equal(girl.boxes, [[0, 1, 3, 3], [1, 1, 3, 3]])
    write_frames(tmp_path / "penguin" / "JPEGImages", 1)
    with pytest.raises(FileNotFoundError, match=r"penguin/Annotations: SegTrack annotation folder not found"):
        read_segtrack(tmp_path)
