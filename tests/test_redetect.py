"""redetect_after: an object reported absent for a while is also searched in a wider crop, and
taken back when a candidate there looks like it clearly enough (the shipped model, real pixels)."""

import numpy as np
import pytest

import dettrack
from dettrack.boxes import iou_matrix
from dettrack.tracking.session import TemplateTracker
from dettrack.tracking.settings import TrackingSettings
from conftest import shared_path

pytestmark = pytest.mark.skipif(not shared_path("data", "uav123_10fps", "person12").is_dir(), reason="needs ../shared/data/uav123_10fps")

BOX = (245.0, 117.5, 17.0, 42.5)  # person12's first box: a small person seen from a drone


@pytest.fixture(scope="module")
def shipped():
    return dettrack.load_model("pretrained")


@pytest.fixture(scope="module")
def scene():
    """person12's first frame; the same frame with the person painted out (the object gone); and
    the first frame shifted 150 px to the right (the object back, outside the crop that followed
    the background meanwhile, but inside one two and a half times as wide)."""
    import cv2
    from PIL import Image

    first = np.array(Image.open(shared_path("data", "uav123_10fps", "person12", "000001.jpg")).convert("RGB"))
    x, y, w, h = (int(v) for v in BOX)
    hole = np.zeros(first.shape[:2], np.uint8)
    hole[y - 4 : y + h + 4, x - 4 : x + w + 4] = 255
    gone = cv2.inpaint(first, hole, 5, cv2.INPAINT_TELEA)
    return first, gone, np.roll(first, 150, axis=1)


def iou(a, b) -> float:
    return float(iou_matrix([a], [b])[0, 0])


def run(model, scene, **settings) -> tuple[list, list]:
    first, gone, back = scene
    session = TemplateTracker(model, **settings)
    session.add(first, BOX, "person")
    away = [session.update(gone)["person"] for _ in range(6)]
    returned = [session.update(back)["person"] for _ in range(3)]
    return away, returned


def test_redetection_takes_the_object_back_where_it_returns(shipped, scene):
    moved = (BOX[0] + 150, *BOX[1:])
    away, returned = run(shipped, scene, redetect_after=3, redetect_threshold=0.5)
    # while the person is gone the wider searches (from the 4th absent answer) take nothing: the box
    # stays by the painted-out spot, below the re-detection threshold (the present flag there is the
    # crop's own answer, about the inpainted blur of a 17 x 42 px target: 0.21 to 0.26)
    assert all(abs(r.box[0] - BOX[0]) < 2 * BOX[2] and r.score < 0.5 for r in away)
    assert not any(r.present for r in away[3:])
    # back 150 px away: re-found on the first frame, with a mask
    for r in returned:
        assert r.present and r.score >= 0.5 and iou(r.box, moved) > 0.5
        assert r.mask is not None and r.mask[int(moved[1] + moved[3] / 2), int(moved[0] + moved[2] / 2)]
    # without it the crop, which followed the background, never sees the person again
    away, returned = run(shipped, scene, redetect_after=0)
    assert not any(r.present for r in returned)
    assert all(iou(r.box, moved) == 0 for r in returned)


def test_redetection_waits_for_its_count(shipped, scene):
    """Only after more than redetect_after absent answers in a row: with 10, the six frames away and
    three back are not enough, and the person back elsewhere stays lost."""
    _, returned = run(shipped, scene, redetect_after=10, redetect_threshold=0.5)
    assert not any(r.present for r in returned)


def test_redetect_settings_are_validated():
    for name, bad, message in (
        ("redetect_after", -1, "redetect_after must be an integer >= 0"),
        ("redetect_after", 2.5, "redetect_after must be an integer >= 0"),
        ("redetect_threshold", 1.5, r"redetect_threshold must be a number in \[0, 1\]"),
        ("redetect_width", 0.5, "redetect_width must be >= 1"),
    ):
        with pytest.raises(ValueError, match=message):
            TrackingSettings(**{name: bad})
