"""Input validation shared by the metric modules: bad input raises ValueError naming what is wrong."""

import numpy as np
import numpy.typing as npt


def where(name: str) -> str:
    """' in sequence NAME' when a name is given, for error messages."""
    return f" in sequence {name!r}" if name else ""


def xywh_boxes(boxes: npt.ArrayLike, what: str, name: str = "", *, nan_rows: bool = False) -> np.ndarray:
    """(N, 4) float boxes (x, y, w, h): finite, width and height >= 0; all-NaN rows only if `nan_rows`."""
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{what}{where(name)} must have shape (N, 4), got {arr.shape}")
    missing = np.isnan(arr)
    empty = missing.all(axis=1) if nan_rows else np.zeros(len(arr), dtype=bool)
    bad = np.flatnonzero(missing.any(axis=1) & ~empty)
    if bad.size:
        raise ValueError(f"{what}{where(name)} has NaN at frame {bad[0]}")
    bad = np.flatnonzero(np.isinf(arr).any(axis=1))
    if bad.size:
        raise ValueError(f"{what}{where(name)} has an infinite value at frame {bad[0]}")
    bad = np.flatnonzero((arr[:, 2:] < 0).any(axis=1))
    if bad.size:
        raise ValueError(f"{what}{where(name)} has a negative width or height at frame {bad[0]}")
    return arr


def frame_vector(values: npt.ArrayLike, length: int, what: str, name: str = "") -> np.ndarray:
    """A 1-D array with one finite entry per frame."""
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) != length:
        raise ValueError(f"{what}{where(name)} must have {length} entries (one per frame), got shape {arr.shape}")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError(f"{what}{where(name)} has NaN at frame {np.flatnonzero(np.isnan(arr))[0]}")
    return arr


def same_length(pred: np.ndarray, gt: np.ndarray, name: str = "") -> None:
    """Predictions and ground truth must cover the same frames."""
    if len(pred) != len(gt):
        raise ValueError(f"predictions{where(name)} have {len(pred)} rows but the ground truth has {len(gt)}")
    if len(gt) == 0:
        raise ValueError(f"sequence{where(name)} has no frames")
