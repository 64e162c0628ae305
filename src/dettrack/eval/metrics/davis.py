"""DAVIS 2017 semi-supervised video object segmentation metrics (davis2017-evaluation).

J is the region IoU, F the boundary F-measure; per object, each is summarised over its frames as
Mean, Recall and Decay. The first frame (given) and the last frame are not scored. The report averages
the per-object summaries over all objects of all sequences; J&F-Mean = (J-Mean + F-Mean) / 2.
"""

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._checks import where

BOUNDARY_TOLERANCE = 0.008


@dataclass(frozen=True)
class DavisStatistics:
    """Mean, Recall (fraction of frames above 0.5) and Decay (first quarter minus last quarter)."""

    mean: float
    recall: float
    decay: float


@dataclass(frozen=True, eq=False)
class DavisScores:
    """Per-object J and F statistics (keyed 'sequence_k', k = 1, 2, ...) and their means over objects."""

    j: dict[str, DavisStatistics]
    f: dict[str, DavisStatistics]

    def _average(self, stats: dict[str, DavisStatistics], field: str) -> float:
        return float(np.mean([getattr(s, field) for s in stats.values()]))

    @property
    def j_mean(self) -> float:
        return self._average(self.j, "mean")

    @property
    def j_recall(self) -> float:
        return self._average(self.j, "recall")

    @property
    def j_decay(self) -> float:
        return self._average(self.j, "decay")

    @property
    def f_mean(self) -> float:
        return self._average(self.f, "mean")

    @property
    def f_recall(self) -> float:
        return self._average(self.f, "recall")

    @property
    def f_decay(self) -> float:
        return self._average(self.f, "decay")

    @property
    def jf_mean(self) -> float:
        """The benchmark's headline number: (J-Mean + F-Mean) / 2."""
        return (self.j_mean + self.f_mean) / 2


def davis_j(gt: npt.ArrayLike, pred: npt.ArrayLike, void: npt.ArrayLike | None = None, name: str = "") -> np.ndarray:
    """Region similarity per frame of (T, H, W) masks.

    J = |S & G| / |S | G| counted outside void pixels; 1 when the union is empty.
    """
    gt_m, pred_m, keep = _frames(gt, pred, void, name)
    inter = np.sum(gt_m & pred_m & keep, axis=(1, 2))
    union = np.sum((gt_m | pred_m) & keep, axis=(1, 2))
    return np.divide(inter, union, out=np.ones(len(union)), where=union > 0)


def davis_f(
    gt: npt.ArrayLike,
    pred: npt.ArrayLike,
    void: npt.ArrayLike | None = None,
    tolerance: float = BOUNDARY_TOLERANCE,
    name: str = "",
) -> np.ndarray:
    """Boundary F-measure per frame of (T, H, W) masks.

    Boundaries come from `davis_boundary`; a boundary pixel matches when the other mask's boundary lies
    within a disk of radius ceil(tolerance * image diagonal) (or `tolerance` pixels when >= 1). F = 1 when
    both boundaries are empty and 0 when only one is.
    """
    gt_m, pred_m, keep = _frames(gt, pred, void, name)
    height, width = gt_m.shape[1:]
    radius = _radius(tolerance, height, width)
    scores = np.empty(len(gt_m))
    for t in range(len(gt_m)):
        pred_b, gt_b = davis_boundary(pred_m[t] & keep[t]), davis_boundary(gt_m[t] & keep[t])
        n_pred, n_gt = int(pred_b.sum()), int(gt_b.sum())
        if n_pred == 0 or n_gt == 0:
            scores[t] = 1.0 if n_pred == n_gt else 0.0
            continue
        precision = np.sum(pred_b & dilate_disk(gt_b, radius)) / n_pred
        recall = np.sum(gt_b & dilate_disk(pred_b, radius)) / n_gt
        scores[t] = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return scores


def davis_boundary(mask: npt.ArrayLike) -> np.ndarray:
    """One-pixel boundary map of a 2-D mask, as the DAVIS code draws it.

    A pixel is on the boundary when it differs from its right, lower or lower-right neighbour; in the last
    row only the right neighbour counts, in the last column only the lower one, and the bottom-right pixel
    is never a boundary.
    """
    m = np.asarray(mask, dtype=bool)
    b = np.zeros_like(m)
    core = m[:-1, :-1]
    b[:-1, :-1] = (core != m[:-1, 1:]) | (core != m[1:, :-1]) | (core != m[1:, 1:])
    b[-1, :-1] = m[-1, :-1] != m[-1, 1:]
    b[:-1, -1] = m[:-1, -1] != m[1:, -1]
    return b


def dilate_disk(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation by the disk {(dx, dy): dx^2 + dy^2 <= radius^2}; nothing enters from outside the image.

    Done row by row: for each vertical offset dy, a horizontal dilation of half-width
    isqrt(radius^2 - dy^2) (a sliding-window sum) shifted by dy.
    """
    height, width = mask.shape
    cumulative = np.zeros((height, width + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=cumulative[:, 1:])
    columns = np.arange(width)
    rows_by_half: dict[int, np.ndarray] = {}
    out = np.zeros_like(mask, dtype=bool)
    for dy in range(-radius, radius + 1):
        half = math.isqrt(radius * radius - dy * dy)
        if half not in rows_by_half:
            hi, lo = np.minimum(columns + half + 1, width), np.maximum(columns - half, 0)
            rows_by_half[half] = (cumulative[:, hi] - cumulative[:, lo]) > 0
        rows = rows_by_half[half]
        top, bottom = max(0, -dy), min(height, height - dy)
        if top < bottom:
            out[top:bottom] |= rows[top + dy : bottom + dy]
    return out


def davis_statistics(values: npt.ArrayLike) -> DavisStatistics:
    """Mean = nanmean; Recall = mean(x > 0.5); Decay over 4 quartile bins.

    Bin edges ids = round(linspace(1, N, 5) + 1e-10) - 1, bin i = x[ids[i] : ids[i+1] + 1] (neighbouring
    bins share their edge frame); Decay = mean(bin 0) - mean(bin 3). (The reference code stores ids as
    uint8, which wraps past 256 frames; here they are plain integers, identical below that.)
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"per-frame values must be a non-empty 1-D array, got shape {x.shape}")
    ids = np.round(np.linspace(1, len(x), 5) + 1e-10).astype(int) - 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return DavisStatistics(
            mean=float(np.nanmean(x)),
            recall=float(np.mean(x > 0.5)),
            decay=float(np.nanmean(x[ids[0] : ids[1] + 1]) - np.nanmean(x[ids[3] : ids[4] + 1])),
        )


def davis_scores(
    sequences: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]], tolerance: float = BOUNDARY_TOLERANCE
) -> DavisScores:
    """Semi-supervised report from name -> (gt, pred), each (objects, T, H, W) binary masks over all T frames.

    Frames 0 and T - 1 are dropped before scoring; objects are numbered from 1 in the keys.
    """
    if not sequences:
        raise ValueError("no sequences to score")
    j, f = {}, {}
    for name, (gt, pred) in sequences.items():
        gt_m, pred_m = np.asarray(gt), np.asarray(pred)
        if gt_m.ndim != 4 or gt_m.shape != pred_m.shape:
            raise ValueError(
                f"masks{where(name)} must be (objects, T, H, W) and equal in shape: "
                f"ground truth {gt_m.shape}, prediction {pred_m.shape}"
            )
        if gt_m.shape[0] == 0 or gt_m.shape[1] < 3:
            raise ValueError(f"sequence {name!r} needs at least one object and three frames, got shape {gt_m.shape}")
        for k in range(gt_m.shape[0]):
            key = f"{name}_{k + 1}"
            j[key] = davis_statistics(davis_j(gt_m[k, 1:-1], pred_m[k, 1:-1], name=name))
            f[key] = davis_statistics(davis_f(gt_m[k, 1:-1], pred_m[k, 1:-1], tolerance=tolerance, name=name))
    return DavisScores(j, f)


def _frames(
    gt: npt.ArrayLike, pred: npt.ArrayLike, void: npt.ArrayLike | None, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T, H, W) boolean ground truth, prediction and not-void masks; a single (H, W) frame is accepted too."""
    gt_m, pred_m = np.asarray(gt), np.asarray(pred)
    if gt_m.ndim == 2 and pred_m.ndim == 2:
        gt_m, pred_m = gt_m[None], pred_m[None]
    if gt_m.ndim != 3 or pred_m.shape != gt_m.shape:
        raise ValueError(
            f"masks{where(name)} must be (T, H, W) or (H, W) and equal in shape: "
            f"ground truth {np.asarray(gt).shape}, prediction {np.asarray(pred).shape}"
        )
    keep = np.ones(gt_m.shape, dtype=bool)
    if void is not None:
        void_m = np.asarray(void).reshape(-1, *np.asarray(void).shape[-2:])
        if void_m.shape != gt_m.shape:
            raise ValueError(f"void mask{where(name)} has shape {np.asarray(void).shape}, masks have {gt_m.shape}")
        keep = ~void_m.astype(bool)
    return gt_m.astype(bool), pred_m.astype(bool), keep


def _radius(tolerance: float, height: int, width: int) -> int:
    if tolerance >= 1:
        if tolerance != int(tolerance):
            raise ValueError(f"a tolerance in pixels must be a whole number, got {tolerance}")
        return int(tolerance)
    return math.ceil(tolerance * math.hypot(height, width))
