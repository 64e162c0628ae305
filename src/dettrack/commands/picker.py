"""`dettrack track --select`: draw the objects' boxes with the mouse on a frame, in a desktop window.

The window is matplotlib's (a dependency already): its RectangleSelector on the frame. OpenCV's ROI
selector would need a GUI build of OpenCV, and the project installs the headless one (its contrib
trackers are the benchmark peers). Where no window can open (no display, no GUI backend) the caller
gets the reason, to name the alternatives in one message.
"""

import os
import sys
from typing import Optional

import numpy as np

Box = tuple[float, float, float, float]
HELP = "drag a box around an object, Enter to keep it (repeat for more), Backspace to drop the last, close the window (or q) when done"


class BoxPicker:
    """Boxes (x, y, w, h, frame pixels) drawn on one frame shown in `axes`: a dragged box is kept
    with Enter; closing the window with a dragged box and none kept keeps that one."""

    def __init__(self, axes, frame: np.ndarray) -> None:
        from matplotlib.widgets import RectangleSelector

        self.axes, self.frame_size = axes, frame.shape[:2]
        self.boxes: list[Box] = []
        self.pending: Optional[Box] = None
        self._drawn: list = []
        height, width = frame.shape[:2]
        axes.imshow(frame, extent=(0, width, height, 0))  # data coordinates = pixel edges, as boxes are given
        axes.set_title(HELP, fontsize=9, wrap=True)
        axes.set_axis_off()
        self.selector = RectangleSelector(axes, self._on_select, useblit=False, interactive=True, minspanx=2, minspany=2, spancoords="data")
        canvas = axes.figure.canvas
        canvas.mpl_connect("key_press_event", self._on_key)
        canvas.mpl_connect("close_event", lambda _: self.finish())

    def _on_select(self, press, release) -> None:
        height, width = self.frame_size
        x0, x1 = sorted((min(max(press.xdata, 0.0), width), min(max(release.xdata, 0.0), width)))
        y0, y1 = sorted((min(max(press.ydata, 0.0), height), min(max(release.ydata, 0.0), height)))
        self.pending = (round(float(x0), 1), round(float(y0), 1), round(float(x1 - x0), 1), round(float(y1 - y0), 1))

    def _on_key(self, event) -> None:
        if event.key == "enter":
            self.keep()
        elif event.key == "backspace" and self.boxes:
            self.boxes.pop()
            for artist in self._drawn.pop():
                artist.remove()
            self.axes.figure.canvas.draw_idle()
        elif event.key in ("q", "escape"):
            import matplotlib.pyplot as plt

            plt.close(self.axes.figure)

    def keep(self) -> None:
        """Keep the dragged box (drawn with its id) and wait for the next."""
        from matplotlib.patches import Rectangle

        if self.pending is None or self.pending[2] < 1 or self.pending[3] < 1:
            return
        x, y, w, h = self.pending
        patch = Rectangle((x, y), w, h, fill=False, edgecolor="lime", linewidth=2)
        self.axes.add_patch(patch)
        label = self.axes.text(x, y, str(len(self.boxes)), color="black", backgroundcolor="lime", fontsize=9, va="bottom")
        self._drawn.append((patch, label))
        self.boxes.append(self.pending)
        self.pending = None
        self.axes.figure.canvas.draw_idle()

    def finish(self) -> None:
        if not self.boxes and self.pending is not None:
            self.keep()


def window_problem() -> Optional[str]:
    """Why no desktop window can open here (None when one can)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no display was found (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    try:
        import matplotlib.pyplot as plt

        if plt.get_backend().lower() in ("agg", "pdf", "ps", "svg", "cairo", "template"):
            plt.switch_backend("TkAgg")
    except Exception as err:  # noqa: BLE001 - any backend failure means no window
        return f"matplotlib cannot open a window ({type(err).__name__}: {err}; on Linux, install Tk: python3-tk)"
    return None


def pick_boxes(frame: np.ndarray, title: str) -> list[Box]:
    """Open a window on `frame` and return the boxes drawn there (see BoxPicker)."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(min(16.0, max(6.0, frame.shape[1] / 80)), min(10.0, max(4.0, frame.shape[0] / 80 + 0.6))))
    figure.canvas.manager.set_window_title(title)
    picker = BoxPicker(axes, frame)
    plt.show(block=True)
    picker.finish()
    return picker.boxes
