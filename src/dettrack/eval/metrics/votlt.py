"""VOT long-term tracking precision, recall and F-score (vot-toolkit, vot/analysis/longterm.py).

Per sequence and confidence threshold tau, the frames with confidence >= tau are the reported ones:
precision = mean overlap over reported frames (1 if none), recall = summed overlap over reported frames
divided by the number of frames where the target is visible. The thresholds are shared by all
sequences (see `vot_lt_thresholds`); precision and recall curves are averaged over sequences, and the
reported F is the maximum over thresholds of 2PR / (P + R), with P and R taken at that threshold.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._checks import same_length, where, xywh_boxes

RESOLUTION = 100
_EMPTY = np.array([0.0, -1.0, 0.0, -1.0])  # a pixel extent that covers no pixel


@dataclass(frozen=True, eq=False)
class VotLTScores:
    """P, R and F at the best threshold, and the averaged curves over all thresholds."""

    precision: float
    recall: float
    f_score: float
    threshold: float
    precision_curve: np.ndarray
    recall_curve: np.ndarray
    thresholds: np.ndarray


def vot_lt_overlaps(pred: npt.ArrayLike, gt: npt.ArrayLike, image_size: tuple[int, int], name: str = "") -> np.ndarray:
    """Per-frame overlaps of (x, y, w, h) boxes as the VOT toolkit computes them for rectangles.

    Each box is rounded to whole pixels and covers the pixel columns round(x) .. round(x) + round(w) - 1
    (rows likewise), cut to the image (W, H); overlap = shared pixels / pixels in either (0 if neither
    covers a pixel). A NaN row is an empty region: in `gt` the target is absent, in `pred` nothing was
    reported. A box on a frame where the target is absent scores 0; an empty prediction on such a frame
    scores 1, since the toolkit treats two empty regions as identical. (Not reproduced: the toolkit's
    special cases for regions whose union is at most one pixel wide or high.)
    """
    gt_boxes = xywh_boxes(gt, "ground truth", name, nan_rows=True)
    pred_boxes = xywh_boxes(pred, "predictions", name, nan_rows=True)
    same_length(pred_boxes, gt_boxes, name)
    width, height = image_size
    if not (width > 0 and height > 0):
        raise ValueError(f"image size{where(name)} must be positive (W, H), got {image_size}")
    pred_empty, gt_empty = np.isnan(pred_boxes).any(axis=1), np.isnan(gt_boxes).any(axis=1)
    a = _pixel_extent(np.nan_to_num(pred_boxes), width, height)
    b = _pixel_extent(np.nan_to_num(gt_boxes), width, height)
    a[pred_empty] = b[gt_empty] = _EMPTY
    inter = _span(np.maximum(a[:, 0], b[:, 0]), np.minimum(a[:, 1], b[:, 1]))
    inter *= _span(np.maximum(a[:, 2], b[:, 2]), np.minimum(a[:, 3], b[:, 3]))
    union = _pixels(a) + _pixels(b) - inter
    overlaps = np.divide(inter, union, out=np.zeros(len(gt_boxes)), where=union > 0)
    overlaps[pred_empty & gt_empty] = 1.0
    return overlaps


def vot_lt_thresholds(confidences: Iterable[npt.ArrayLike], resolution: int = RESOLUTION) -> np.ndarray:
    """The confidence thresholds shared by all sequences (100 by default).

    All confidences of all sequences (NaN = missing = 0), sorted in descending order; if there are more
    than resolution - 2, the ones at indices round(linspace(d, n - d, resolution - 2)) with
    d = floor(n / (resolution - 2)); then +inf first and -inf last.
    """
    scores = np.sort(np.concatenate([_confidence(c) for c in confidences]))[::-1]
    if len(scores) > resolution - 2:
        delta = len(scores) // (resolution - 2)
        scores = scores[np.round(np.linspace(delta, len(scores) - delta, resolution - 2)).astype(int)]
    return np.concatenate([[math.inf], scores, [-math.inf]])


def vot_lt_sequence_curves(
    overlaps: npt.ArrayLike,
    confidence: npt.ArrayLike,
    visible: npt.ArrayLike,
    thresholds: npt.ArrayLike,
    name: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """One sequence's (precision, recall) at each threshold; NaN confidences count as 0 (missing)."""
    ov = np.asarray(overlaps, dtype=np.float64)
    if ov.ndim != 1 or np.isnan(ov).any() or (ov < 0).any() or (ov > 1).any():
        raise ValueError(f"overlaps{where(name)} must be a 1-D array of values in [0, 1]")
    conf = _confidence(confidence, name)
    vis = np.asarray(visible, dtype=bool)
    if conf.shape != ov.shape or vis.shape != ov.shape:
        raise ValueError(
            f"overlaps, confidences and visibility{where(name)} must have one entry per frame, "
            f"got shapes {ov.shape}, {conf.shape}, {vis.shape}"
        )
    if not vis.any():
        raise ValueError(f"sequence{where(name)} has no frame where the target is visible")
    reported = conf[:, None] >= np.asarray(thresholds, dtype=np.float64)[None, :]
    count = reported.sum(axis=0)
    total = ov @ reported
    precision = np.divide(total, count, out=np.ones_like(total), where=count > 0)
    return precision, total / vis.sum()


def vot_lt_scores(
    sequences: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike]], resolution: int = RESOLUTION
) -> VotLTScores:
    """VOT-LT report from name -> (overlaps, confidences, visible) per sequence (see `vot_lt_overlaps`)."""
    if not sequences:
        raise ValueError("no sequences to score")
    thresholds = vot_lt_thresholds([_confidence(conf, name) for name, (_, conf, _) in sequences.items()], resolution)
    curves = [vot_lt_sequence_curves(*seq, thresholds, name) for name, seq in sequences.items()]
    precision = np.mean([p for p, _ in curves], axis=0)
    recall = np.mean([r for _, r in curves], axis=0)
    denominator = precision + recall
    f_curve = np.divide(2 * precision * recall, denominator, out=np.zeros_like(denominator), where=denominator > 0)
    best = int(np.argmax(f_curve))
    return VotLTScores(
        precision=float(precision[best]),
        recall=float(recall[best]),
        f_score=float(f_curve[best]),
        threshold=float(thresholds[best]),
        precision_curve=precision,
        recall_curve=recall,
        thresholds=thresholds,
    )


def _confidence(values: npt.ArrayLike, name: str = "") -> np.ndarray:
    conf = np.asarray(values, dtype=np.float64)
    if conf.ndim != 1:
        raise ValueError(f"confidences{where(name)} must be 1-D, got shape {conf.shape}")
    if np.isinf(conf).any():
        raise ValueError(f"confidences{where(name)} must be finite (NaN marks a missing one)")
    return np.nan_to_num(conf, nan=0.0)


def _pixel_extent(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Inclusive pixel ranges [left, right, top, bottom] of rounded boxes, cut to the image."""
    x, y, w, h = np.round(boxes).T
    left, right = np.maximum(x, 0), np.minimum(x + w - 1, width - 1)
    top, bottom = np.maximum(y, 0), np.minimum(y + h - 1, height - 1)
    return np.stack([left, right, top, bottom], axis=1)


def _span(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.maximum(high - low + 1, 0)


def _pixels(extent: np.ndarray) -> np.ndarray:
    return _span(extent[:, 0], extent[:, 1]) * _span(extent[:, 2], extent[:, 3])
