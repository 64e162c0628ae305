"""Per-frame ground truth of one object: boxes (x, y, w, h), presence, and which frames carry a label.

Three kinds share the `Track` protocol: `BoxTrack` (arrays read from a text file),
`MaskTrack` (boxes computed from the masks on first use) and `NormalisedTrack`
(boxes in [0, 1] scaled by the frame size on first use).
"""

import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Optional, Protocol

import numpy as np

from .lazy import FrameMasks, Frames


class Track(Protocol):
    """boxes: (N, 4) float64 x, y, w, h in 0-based pixels, NaN rows where absent; present, labelled: (N,) bool."""

    boxes: np.ndarray
    present: np.ndarray
    labelled: np.ndarray

    def __len__(self) -> int: ...


@dataclass(frozen=True, eq=False)
class BoxTrack:
    """Ground truth held in memory. `labelled` is False on frames without a label (sparse annotation)."""

    boxes: np.ndarray
    present: np.ndarray
    labelled: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)


def box_track(
    boxes: np.ndarray,
    source: str,
    visible: Optional[np.ndarray] = None,
    labelled: Optional[np.ndarray] = None,
) -> BoxTrack:
    """A BoxTrack from raw (N, 4) x, y, w, h rows.

    A row is a box when finite with positive width and height. NaN rows (an absent or
    unknown box, as UAV123 and GOT-10k write it) and zero-size rows (0,0,0,0 or -1,-1,-1,-1)
    mean absent. `visible` are the dataset's own presence flags: an absent flag wins, and
    a frame flagged visible with a finite but empty box becomes absent with a counted
    warning naming `source`. Unlabelled frames are never present.
    """
    boxes = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    n = len(boxes)
    finite = np.isfinite(boxes).all(axis=1)
    with np.errstate(invalid="ignore"):
        has_box = finite & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
    labelled = np.ones(n, dtype=bool) if labelled is None else np.asarray(labelled, dtype=bool)
    present = has_box & labelled
    if visible is not None:
        visible = np.asarray(visible, dtype=bool)
        empty = int((visible & labelled & finite & ~has_box).sum())
        if empty:
            warnings.warn(f"{source}: {empty} frames marked visible have an empty box; treated as absent", stacklevel=3)
        present &= visible
    boxes[~present] = np.nan
    return BoxTrack(boxes=boxes, present=present, labelled=labelled)


def mask_box(mask: np.ndarray) -> np.ndarray:
    """The tight (x, y, w, h) box around a mask's pixels (each pixel 1 x 1); NaNs when empty."""
    columns, rows = np.flatnonzero(mask.any(axis=0)), np.flatnonzero(mask.any(axis=1))
    if columns.size == 0:
        return np.full(4, np.nan)
    return np.array([columns[0], rows[0], columns[-1] - columns[0] + 1, rows[-1] - rows[0] + 1], dtype=np.float64)


class MaskTrack:
    """Ground truth derived from per-frame masks, computed (reading every mask once) on first access."""

    def __init__(self, masks: FrameMasks) -> None:
        self.masks = masks

    def __len__(self) -> int:
        return len(self.masks)

    @cached_property
    def _track(self) -> BoxTrack:
        boxes = np.full((len(self.masks), 4), np.nan)
        labelled = np.array([p is not None for p in self.masks.paths], dtype=bool)
        for i in np.flatnonzero(labelled):
            boxes[i] = mask_box(self.masks[i])
        present = np.isfinite(boxes).all(axis=1)
        return BoxTrack(boxes=boxes, present=present, labelled=labelled)

    @property
    def boxes(self) -> np.ndarray:
        return self._track.boxes

    @property
    def present(self) -> np.ndarray:
        return self._track.present

    @property
    def labelled(self) -> np.ndarray:
        return self._track.labelled


class NormalisedTrack:
    """Ground truth given in [0, 1] image coordinates; pixel boxes use the first frame's size, read on first access."""

    def __init__(self, normalised: BoxTrack, frames: Frames) -> None:
        self.normalised = normalised
        self.frames = frames

    def __len__(self) -> int:
        return len(self.normalised)

    @cached_property
    def boxes(self) -> np.ndarray:
        height, width = self.frames.size()
        return self.normalised.boxes * np.array([width, height, width, height], dtype=np.float64)

    @property
    def present(self) -> np.ndarray:
        return self.normalised.present

    @property
    def labelled(self) -> np.ndarray:
        return self.normalised.labelled
