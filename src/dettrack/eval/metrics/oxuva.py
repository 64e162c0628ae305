"""OxUvA long-term tracking metrics (python/oxuva/assess.py): TPR, TNR, GM, MaxGM and a score-threshold AUC.

Only the labelled frames after the initial frame count. At each labelled time the latest prediction
at or before it is used. A frame is a true positive when the object is present, the prediction says
present and IoU >= 0.5 with both boxes clipped to the unit square; a false negative when the object is
present otherwise; a true negative when both say absent; a false positive when the object is absent but
the prediction says present. Counts are summed over all frames of all tracks.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np


TrackKey = tuple[str, str]


class OxuvaLabels(Protocol):
    """Ground truth of one track as arrays: the labelled frames after the init frame, whether the
    object is present on each and its box (normalised xmin, xmax, ymin, ymax). The OxUvA reader's
    OxuvaTrack is one."""

    frames: np.ndarray
    present: np.ndarray
    boxes: np.ndarray


@dataclass(frozen=True, eq=False)
class OxuvaPredictions:
    """A tracker's output for one track, sorted by frame; boxes may be NaN where present is False."""

    frames: np.ndarray
    present: np.ndarray
    score: np.ndarray
    boxes: np.ndarray


class TrackAssessment(NamedTuple):
    """Per labelled frame: object present, prediction present, prediction box correct, prediction score."""

    gt_present: np.ndarray
    pred_present: np.ndarray
    correct: np.ndarray
    score: np.ndarray


@dataclass(frozen=True)
class OxuvaScores:
    """Frame counts pooled over all tracks, the rates at the tracker's operating point, MaxGM and AUC."""

    tp: int
    fn: int
    tn: int
    fp: int
    tpr: float
    tnr: float
    gm: float
    max_gm: float
    auc: float


def oxuva_assess_track(
    track: OxuvaLabels, pred: OxuvaPredictions, iou_threshold: float = 0.5, name: str = "the track"
) -> TrackAssessment:
    """Assess every labelled frame of one track, filling each missing time with the previous prediction."""
    index = np.searchsorted(pred.frames, track.frames, side="right") - 1
    if len(track.frames) and index[0] < 0:
        raise ValueError(f"{name}: no prediction at or before labelled frame {track.frames[0]}")
    boxes = pred.boxes[index]
    has_box = np.isfinite(boxes).all(axis=1)
    ious = np.zeros(len(index))
    ious[has_box] = unit_square_iou(boxes[has_box], track.boxes[has_box])
    return TrackAssessment(
        gt_present=track.present.copy(),
        pred_present=pred.present[index],
        correct=has_box & (ious >= iou_threshold),
        score=pred.score[index],
    )


def unit_square_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise IoU of (xmin, xmax, ymin, ymax) boxes after clipping both to [0, 1]^2; 0 for an empty union."""
    a, b = np.clip(a, 0.0, 1.0), np.clip(b, 0.0, 1.0)
    iw = np.maximum(np.minimum(a[:, 1], b[:, 1]) - np.maximum(a[:, 0], b[:, 0]), 0)
    ih = np.maximum(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 2], b[:, 2]), 0)
    inter = iw * ih
    union = _area(a) + _area(b) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def oxuva_max_gm(tpr: float, tnr: float) -> float:
    """MaxGM: the best GM reachable by randomly mixing the tracker with the always-absent tracker.

    Maximises g(th) = ((1 - th) TNR + th) * (1 - th) TPR over th in [0, 1]; g is a quadratic in th whose
    stationary point is th* = (1 - 2 TNR) / (2 (1 - TNR)); the answer is sqrt(max g) over {0, 1, th*}.
    """
    if math.isnan(tpr) or math.isnan(tnr):
        return math.nan
    candidates = [0.0, 1.0]
    if tnr < 1:
        candidates.append(min(max((1 - 2 * tnr) / (2 * (1 - tnr)), 0.0), 1.0))
    return max(math.sqrt(max(((1 - th) * tnr + th) * (1 - th) * tpr, 0.0)) for th in candidates)


def oxuva_score_curve(assessment: TrackAssessment) -> tuple[np.ndarray, np.ndarray]:
    """ROC-like curve traced by thresholding the prediction score: (false positive rates, true positive rates).

    At threshold s every labelled frame with score >= s counts as reported present (its own present flag
    is ignored): a true positive if the object is present and its box is correct, a false positive if
    the object is absent. Thresholds run over the distinct scores from high to low, starting from
    'nothing reported' (0, 0) and ending with every frame reported (FPR = 1).
    """
    order = np.argsort(-assessment.score, kind="stable")
    score = assessment.score[order]
    gt_present = assessment.gt_present[order]
    tp = np.cumsum(gt_present & assessment.correct[order])
    fp = np.cumsum(~gt_present)
    last_of_tie = np.flatnonzero(np.append(score[1:] != score[:-1], True))
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = np.concatenate([[0.0], tp[last_of_tie] / np.sum(gt_present)])
        fpr = np.concatenate([[0.0], fp[last_of_tie] / np.sum(~gt_present)])
    return fpr, tpr


def oxuva_auc(assessment: TrackAssessment) -> float:
    """Trapezoidal area under `oxuva_score_curve` (TPR against FPR); NaN without absent or present frames."""
    fpr, tpr = oxuva_score_curve(assessment)
    if not (np.isfinite(fpr).all() and np.isfinite(tpr).all()):
        return math.nan
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def oxuva_scores(
    tracks: Mapping[TrackKey, OxuvaLabels],
    predictions: Mapping[TrackKey, OxuvaPredictions],
    iou_threshold: float = 0.5,
) -> OxuvaScores:
    """Score a tracker on a set of tracks; every track needs predictions. Undefined rates are NaN."""
    if not tracks:
        raise ValueError("no tracks to score")
    missing = [key for key in tracks if key not in predictions]
    if missing:
        raise ValueError(f"no predictions for track {missing[0][0]} {missing[0][1]} ({len(missing)} tracks missing)")
    parts = [oxuva_assess_track(track, predictions[key], iou_threshold, f"track {key[0]} {key[1]}") for key, track in tracks.items()]
    pooled = TrackAssessment(*(np.concatenate(field) for field in zip(*parts)))
    if pooled.score.size == 0:
        raise ValueError("the tracks have no labelled frame to score")
    reported = pooled.pred_present
    tp = int(np.sum(pooled.gt_present & reported & pooled.correct))
    fn = int(np.sum(pooled.gt_present)) - tp
    fp = int(np.sum(~pooled.gt_present & reported))
    tn = int(np.sum(~pooled.gt_present)) - fp
    tpr = tp / (tp + fn) if tp + fn else math.nan
    tnr = tn / (tn + fp) if tn + fp else math.nan
    return OxuvaScores(
        tp=tp,
        fn=fn,
        tn=tn,
        fp=fp,
        tpr=tpr,
        tnr=tnr,
        gm=math.sqrt(tpr * tnr),
        max_gm=oxuva_max_gm(tpr, tnr),
        auc=oxuva_auc(pooled),
    )


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.maximum(boxes[:, 1] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 2], 0)
