"""GOT-10k metrics (got10k toolkit, experiments/got10k.py): AO, SR and the success curve.

The first frame (the initialisation) and the frames whose cover label is 0 (target absent) are not
scored; boxes are bounded to the image before IoU. Scores are pooled over the frames of all
sequences (frame-weighted), and repeated runs of a non-deterministic tracker are concatenated.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ._checks import frame_vector, same_length, where, xywh_boxes
from .overlap import clip_to_image, iou_xywh

SUCCESS_THRESHOLDS = np.linspace(0, 1, 101)


class Got10kSequence(NamedTuple):
    """One sequence's inputs: predictions (N, 4) or (runs, N, 4), ground truth (N, 4), cover (N,), (W, H)."""

    pred: npt.ArrayLike
    gt: npt.ArrayLike
    cover: npt.ArrayLike
    resolution: tuple[float, float]


@dataclass(frozen=True, eq=False)
class Got10kScores:
    """Pooled AO, SR0.5, SR0.75 and success curve, plus the AO of each sequence."""

    ao: float
    sr50: float
    sr75: float
    success_curve: np.ndarray
    sequence_ao: dict[str, float]


def got10k_sequence_ious(
    pred: npt.ArrayLike, gt: npt.ArrayLike, cover: npt.ArrayLike, resolution: tuple[float, float], name: str = ""
) -> np.ndarray:
    """IoUs of the scored frames of one sequence (every run's, concatenated).

    Frame 0 is dropped, then the frames with cover == 0 (where NaN boxes are allowed); boxes are
    clipped to `resolution` = (W, H) (the toolkit's clipping, see `clip_to_image`) and IoU to [0, 1].
    """
    gt_boxes = xywh_boxes(gt, "ground truth", name, nan_rows=True)
    if len(gt_boxes) == 0:
        raise ValueError(f"sequence{where(name)} has no frames")
    runs = np.asarray(pred, dtype=np.float64)
    runs = runs[None] if runs.ndim == 2 else runs
    if runs.ndim != 3 or len(runs) == 0:
        raise ValueError(f"predictions{where(name)} must have shape (N, 4) or (runs, N, 4), got {runs.shape}")
    covers = frame_vector(cover, len(gt_boxes), "cover labels", name).astype(np.float64)
    if (covers < 0).any():
        raise ValueError(f"cover labels{where(name)} must be >= 0")
    width, height = resolution
    if not (width > 0 and height > 0):
        raise ValueError(f"resolution{where(name)} must be positive (W, H), got {resolution}")
    scored = np.concatenate([[False], covers[1:] > 0])
    gt_scored = clip_to_image(_scored_rows(gt_boxes, scored, "ground truth", name), width, height)
    ious = []
    for run in runs:
        boxes = xywh_boxes(run, "predictions", name, nan_rows=True)
        same_length(boxes, gt_boxes, name)
        pred_scored = clip_to_image(_scored_rows(boxes, scored, "predictions", name), width, height)
        ious.append(iou_xywh(pred_scored, gt_scored))
    return np.concatenate(ious)


def got10k_average_overlap(ious: npt.ArrayLike) -> float:
    """AO: the mean IoU over the scored frames."""
    return float(np.mean(_nonempty(ious)))


def got10k_success_rate(ious: npt.ArrayLike, threshold: float) -> float:
    """SR_t: the fraction of scored frames with IoU strictly above t (0.5 and 0.75 are reported)."""
    return float(np.mean(_nonempty(ious) > threshold))


def got10k_success_curve(ious: npt.ArrayLike) -> np.ndarray:
    """The fraction of scored frames with IoU > t for t in linspace(0, 1, 101)."""
    return np.mean(_nonempty(ious)[:, None] > SUCCESS_THRESHOLDS[None, :], axis=0)


def got10k_scores(sequences: Mapping[str, Got10kSequence]) -> Got10kScores:
    """The GOT-10k report: pooled AO / SR / success curve over all sequences and per-sequence AO."""
    if not sequences:
        raise ValueError("no sequences to score")
    per_sequence = {}
    for name, seq in sequences.items():
        ious = got10k_sequence_ious(seq.pred, seq.gt, seq.cover, seq.resolution, name)
        if ious.size == 0:
            raise ValueError(f"sequence {name!r} has no scored frame (target absent after the first frame)")
        per_sequence[name] = ious
    pooled = np.concatenate(list(per_sequence.values()))
    return Got10kScores(
        ao=got10k_average_overlap(pooled),
        sr50=got10k_success_rate(pooled, 0.5),
        sr75=got10k_success_rate(pooled, 0.75),
        success_curve=got10k_success_curve(pooled),
        sequence_ao={name: got10k_average_overlap(ious) for name, ious in per_sequence.items()},
    )


def _scored_rows(boxes: np.ndarray, scored: np.ndarray, what: str, name: str) -> np.ndarray:
    """The rows of the scored frames, which must hold a box (NaN is allowed only where nothing is scored)."""
    missing = np.flatnonzero(scored & np.isnan(boxes).any(axis=1))
    if missing.size:
        raise ValueError(f"{what}{where(name)} has NaN at scored frame {missing[0]}")
    return boxes[scored]


def _nonempty(ious: npt.ArrayLike) -> np.ndarray:
    arr = np.asarray(ious, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"IoUs must be a non-empty 1-D array, got shape {arr.shape}")
    return arr
