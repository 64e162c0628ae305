"""Any frame by its index (video/seek.py) is the frame FrameSource decodes in order."""

import numpy as np
import pytest

from dettrack.commands.demo import clip_path
from dettrack.video import FrameSource
from dettrack.video.seek import FrameAccess

from conftest import shared_path


def test_seeking_a_video_gives_the_frames_of_decoding_it_in_order():
    frames = list(FrameSource(clip_path()))
    access = FrameAccess(clip_path())
    assert (access.count, access.size, access.fps) == (len(frames), frames[0].shape[:2], 25.0)
    for index in [0, 131, 64, 65, 66, 10, 100, 101, 3]:  # backwards, forwards, next frames, far jumps
        assert np.array_equal(access.frame(index), frames[index]), index
    with pytest.raises(ValueError, match="no frame 132 .it has frames 0-131"):
        access.frame(132)
    access.close()


def test_a_folder_of_frames_and_what_cannot_be_scrubbed(tmp_path):
    folder = shared_path("data", "davis2016", "JPEGImages", "480p", "blackswan")
    access = FrameAccess(folder)
    assert access.count == len(list(folder.glob("*.jpg"))) and access.size == (480, 854)
    assert np.array_equal(access.frame(7), next(iter(FrameSource(folder, 7, 8))))
    with pytest.raises(ValueError, match="cannot be scrubbed"):
        FrameAccess(0)
    broken = tmp_path / "cut.mp4"
    broken.write_bytes(clip_path().read_bytes()[:5000])
    with pytest.raises(ValueError, match="cut.mp4"):
        FrameAccess(broken)
