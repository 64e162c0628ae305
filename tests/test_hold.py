"""hold_ratio: the box holds (coasting along its recent motion) when the winner's score drops well
below the object's running score (an occluder), and follows again otherwise."""

import numpy as np
import pytest

from dettrack.tracking.session import LEVEL_DECAY, TemplateTracker
from dettrack.tracking.settings import TrackingSettings

SETTINGS = dict(follow_threshold=0.0, search_size=320, context=1.95, masks=False, presence_threshold=0.0, update_threshold=0.0, template_update=0.5, size_rate=1.0)


def test_hold_ratio_is_validated():
    for bad in (1.0, -0.1, True, "0.5"):
        with pytest.raises(ValueError, match="hold_ratio must be a number in \\[0, 1\\)"):
            TrackingSettings(hold_ratio=bad)


def occluded(frame: np.ndarray, box) -> np.ndarray:
    """The frame with a grey block twice the object's size over it."""
    x, y, w, h = (int(v) for v in box)
    out = frame.copy()
    out[max(0, y - h // 2) : y + h + h // 2, max(0, x - w // 2) : x + w + w // 2] = 128
    return out


def test_an_occluded_object_holds_its_box_and_template(light, camel):
    frames, boxes = camel
    held = TemplateTracker(light, TrackingSettings(hold_ratio=0.9, **SETTINGS))
    free = TemplateTracker(light, TrackingSettings(**SETTINGS))
    for session in (held, free):
        session.add(frames[0], boxes[0], "camel")
        session.update(frames[1])
    obj = held.objects["camel"]
    before_box, before_template, level, velocity = obj.box, obj.template.clone(), obj.level, obj.velocity
    assert level is not None and level > 0 and not obj.held
    # the velocity is half the first move (from zero)
    first = tuple(float(v) for v in boxes[0])
    centre = lambda b: np.array([b[0] + b[2] / 2, b[1] + b[3] / 2])  # noqa: E731
    np.testing.assert_allclose(velocity, (centre(before_box) - centre(first)) / 2, atol=1e-3)
    assert np.abs(velocity).max() > 0.1
    hidden = occluded(frames[2], boxes[2])
    held.update(hidden)
    free.update(hidden)
    # the grey block scores far below the camel did: the box coasts at the velocity, the template stays
    assert obj.held
    np.testing.assert_allclose(obj.box, np.array(before_box) + [velocity[0], velocity[1], 0, 0], atol=1e-4)
    assert obj.velocity == velocity
    assert (obj.template == before_template).all()
    assert obj.level == pytest.approx(level * LEVEL_DECAY)
    # without hold_ratio the same frame moves the box and the template
    assert free.objects["camel"].box != before_box
    assert not (free.objects["camel"].template == before_template).all()
    # the camel seen again: followed, and the running score moves towards the winner's again
    held.update(frames[3])
    assert not obj.held and obj.box != before_box
    assert obj.level != pytest.approx(level * LEVEL_DECAY)
