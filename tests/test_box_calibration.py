"""box_calibration: the given box's width and height convention, measured against the network's own
box on the template frame, carried over to every later candidate (masks still cut from the network's box)."""

import math

import numpy as np
import pytest
import torch

from dettrack.tracking.calibration import MAX_LOG_RATIO, BoxCalibration
from dettrack.tracking.session import TemplateTracker
from dettrack.tracking.settings import TrackingSettings

SETTINGS = dict(follow_threshold=0.0, search_size=320, context=1.95, presence_threshold=0.0, size_rate=1.0, scale_penalty=0.0)


def test_measure_clamps_and_scales_the_log_ratios():
    given = torch.tensor([10.0, 20.0, 60.0, 120.0])  # 50 x 100
    found = torch.tensor([0.0, 0.0, 100.0, 80.0])  # 100 x 80
    full = BoxCalibration.measure(given, found, 1.0)
    assert full.log_width == pytest.approx(-MAX_LOG_RATIO)  # log(0.5) is beyond the clamp
    assert full.log_height == pytest.approx(math.log(100 / 80))
    half = BoxCalibration.measure(given, found, 0.5)
    assert half.log_width == pytest.approx(-MAX_LOG_RATIO / 2)
    assert half.log_height == pytest.approx(math.log(100 / 80) / 2)


def test_apply_scales_about_the_centre_and_undo_inverts_it():
    calibration = BoxCalibration(math.log(0.8), math.log(1.25))
    boxes = torch.tensor([[0.0, 0.0, 100.0, 40.0], [50.0, 60.0, 70.0, 100.0]])
    out = calibration.apply(boxes)
    np.testing.assert_allclose(out[0].numpy(), [10.0, -5.0, 90.0, 45.0], atol=1e-4)
    np.testing.assert_allclose(((out[:, :2] + out[:, 2:]) / 2).numpy(), ((boxes[:, :2] + boxes[:, 2:]) / 2).numpy(), atol=1e-4)
    np.testing.assert_allclose(calibration.undo(out).numpy(), boxes.numpy(), atol=1e-4)
    assert BoxCalibration().apply(boxes) is boxes


def test_box_calibration_is_validated():
    for bad in (-0.1, 1.5, "0.5"):
        with pytest.raises(ValueError, match="box_calibration must be a number in \\[0, 1\\]"):
            TrackingSettings(box_calibration=bad)


def test_a_tight_given_box_keeps_its_width(light, camel):
    frames, boxes = camel
    x, y, w, h = (float(v) for v in boxes[0])
    tight = (x + 0.2 * w, y, 0.6 * w, h)  # the camel's body without its neck and tail: a box the network would not draw
    plain = TemplateTracker(light, TrackingSettings(**SETTINGS))
    calibrated = TemplateTracker(light, TrackingSettings(box_calibration=1.0, **SETTINGS))
    for session in (plain, calibrated):
        session.add(frames[0], tight, "camel")
    assert plain.objects["camel"].calibration == BoxCalibration()
    calibration = calibrated.objects["camel"].calibration
    assert calibration.log_width < -0.2  # the network boxes the whole camel, wider than the given box
    ratios = []
    for frame in frames[1:4]:
        a, b = plain.update(frame)["camel"], calibrated.update(frame)["camel"]
        ratios.append(b.box[2] / a.box[2])
        assert abs(b.box[2] - tight[2]) < abs(a.box[2] - tight[2])
        # the mask is cut from the network's own box: the camel's pixels reach beyond the calibrated box
        columns = np.flatnonzero(b.mask.any(0))
        assert columns.min() < b.box[0] - 2 or columns.max() > b.box[0] + b.box[2] + 2
    assert np.median(ratios) == pytest.approx(math.exp(calibration.log_width), rel=0.1)
