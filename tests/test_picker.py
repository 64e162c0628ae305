"""`dettrack track --select`: boxes drawn with the mouse (matplotlib's selector, driven here by simulated events)."""

import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backend_bases import KeyEvent  # noqa: E402
from matplotlib.testing.widgets import click_and_drag  # noqa: E402

from dettrack.commands.picker import BoxPicker  # noqa: E402

from conftest import shared_path  # noqa: E402


@pytest.fixture
def picker():
    figure, axes = plt.subplots()
    yield BoxPicker(axes, np.zeros((120, 200, 3), np.uint8))
    plt.close(figure)


def _key(picker, key):
    KeyEvent("key_press_event", picker.axes.figure.canvas, key)._process()


def test_boxes_are_kept_with_enter_and_dropped_with_backspace(picker):
    click_and_drag(picker.selector, start=(10, 20), end=(60, 80))
    _key(picker, "enter")
    click_and_drag(picker.selector, start=(150, 100), end=(120, 30))  # dragged up and left
    _key(picker, "enter")
    assert picker.boxes == [(10.0, 20.0, 50.0, 60.0), (120.0, 30.0, 30.0, 70.0)]
    outlines, labels = len(picker.axes.patches), len(picker.axes.texts)
    _key(picker, "backspace")
    assert picker.boxes == [(10.0, 20.0, 50.0, 60.0)]
    assert (len(picker.axes.patches), len(picker.axes.texts)) == (outlines - 1, labels - 1)  # its outline and id went with it


def test_a_box_past_the_frame_is_clipped_and_a_lone_box_is_kept_on_close(picker):
    click_and_drag(picker.selector, start=(150, 90), end=(260, 170))
    picker.finish()  # the window closed with one box dragged and none kept
    assert picker.boxes == [(150.0, 90.0, 50.0, 30.0)]


def test_without_a_display_select_names_the_alternatives(tmp_path):
    clip = shared_path("data", "otb", "Couple", "img")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    probe = f"import sys; from dettrack.cli import main; code = main(['track', {str(clip)!r}, '--select']); print(code, 'torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.split() == ["2", "False"], (done.stdout, done.stderr)
    assert "--select opens a window" in done.stderr and "no display was found" in done.stderr
    assert "--box x,y,w,h" in done.stderr and "dettrack detect" in done.stderr
