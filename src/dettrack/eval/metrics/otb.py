"""OTB and LaSOT one-pass-evaluation metrics (OTB toolkit conventions, as in the got10k toolkit).

Per sequence: the success curve (fraction of frames with IoU > t, 21 thresholds on [0, 1]), the
precision curve (fraction of frames with centre error <= t px, t = 0..50) and, for LaSOT, the
normalised precision curve (centre error over the ground-truth size, 51 thresholds on [0, 0.5]).
The first frame's prediction is replaced by the ground truth (it is the initialisation). Curves are
averaged over sequences; success AUC = mean of the success curve, precision = the curve at 20 px,
normalised precision = mean of its curve. LaSOT scores only the frames not flagged absent
(full_occlusion or out_of_view).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._checks import frame_vector, same_length, where, xywh_boxes
from .overlap import centre_error, iou_xywh, normalised_centre_error

SUCCESS_THRESHOLDS = np.linspace(0, 1, 21)
PRECISION_THRESHOLDS = np.arange(51, dtype=np.float64)
NORMALISED_PRECISION_THRESHOLDS = np.linspace(0, 0.5, 51)
PRECISION_AT_PX = 20


@dataclass(frozen=True, eq=False)
class OPEScores:
    """Sequence-averaged curves and their summary scores."""

    success_curve: np.ndarray
    precision_curve: np.ndarray
    normalised_precision_curve: np.ndarray

    @property
    def success_auc(self) -> float:
        """Area under the success plot, as OTB computes it: the mean of the 21-point curve."""
        return float(np.mean(self.success_curve))

    @property
    def precision(self) -> float:
        """Precision at 20 px."""
        return float(self.precision_curve[PRECISION_AT_PX])

    @property
    def normalised_precision(self) -> float:
        """LaSOT's normalised precision: the mean of its curve over [0, 0.5]."""
        return float(np.mean(self.normalised_precision_curve))


def otb_success_curve(
    pred: npt.ArrayLike, gt: npt.ArrayLike, absent: npt.ArrayLike | None = None, name: str = ""
) -> np.ndarray:
    """One sequence's success curve: mean(IoU > t) for the 21 thresholds linspace(0, 1, 21)."""
    pred_boxes, gt_boxes = _scored_frames(pred, gt, absent, name)
    ious = iou_xywh(pred_boxes, gt_boxes)
    return np.mean(ious[:, None] > SUCCESS_THRESHOLDS[None, :], axis=0)


def otb_precision_curve(
    pred: npt.ArrayLike, gt: npt.ArrayLike, absent: npt.ArrayLike | None = None, name: str = ""
) -> np.ndarray:
    """One sequence's precision curve: mean(centre error <= t) for t = 0, 1, ..., 50 px."""
    pred_boxes, gt_boxes = _scored_frames(pred, gt, absent, name)
    errors = centre_error(pred_boxes, gt_boxes)
    return np.mean(errors[:, None] <= PRECISION_THRESHOLDS[None, :], axis=0)


def lasot_normalised_precision_curve(
    pred: npt.ArrayLike, gt: npt.ArrayLike, absent: npt.ArrayLike | None = None, name: str = ""
) -> np.ndarray:
    """One sequence's normalised precision curve: mean(normalised centre error <= t), t in linspace(0, 0.5, 51)."""
    pred_boxes, gt_boxes = _scored_frames(pred, gt, absent, name)
    errors = normalised_centre_error(pred_boxes, gt_boxes)
    return np.mean(errors[:, None] <= NORMALISED_PRECISION_THRESHOLDS[None, :], axis=0)


def otb_scores(sequences: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]]) -> OPEScores:
    """OTB report over sequences given as name -> (pred, gt); every frame is scored."""
    return _average({name: (pred, gt, None) for name, (pred, gt) in sequences.items()})


def lasot_scores(sequences: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike]]) -> OPEScores:
    """LaSOT report over sequences given as name -> (pred, gt, absent); absent frames are not scored."""
    return _average(dict(sequences))


def _average(sequences: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike | None]]) -> OPEScores:
    if not sequences:
        raise ValueError("no sequences to score")
    curves = [
        (
            otb_success_curve(pred, gt, absent, name),
            otb_precision_curve(pred, gt, absent, name),
            lasot_normalised_precision_curve(pred, gt, absent, name),
        )
        for name, (pred, gt, absent) in sequences.items()
    ]
    success, precision, normalised = (np.mean(np.stack(c), axis=0) for c in zip(*curves))
    return OPEScores(success, precision, normalised)


def _scored_frames(
    pred: npt.ArrayLike, gt: npt.ArrayLike, absent: npt.ArrayLike | None, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Predictions and ground truth of the scored frames, the first prediction set to the ground truth."""
    gt_boxes = xywh_boxes(gt, "ground truth", name, nan_rows=absent is not None)
    pred_boxes = xywh_boxes(pred, "predictions", name, nan_rows=absent is not None).copy()
    same_length(pred_boxes, gt_boxes, name)
    pred_boxes[0] = gt_boxes[0]
    keep = np.ones(len(gt_boxes), dtype=bool)
    if absent is not None:
        keep = ~frame_vector(absent, len(gt_boxes), "absent flags", name).astype(bool)
    missing = np.flatnonzero(keep & (np.isnan(gt_boxes).any(axis=1) | np.isnan(pred_boxes).any(axis=1)))
    if missing.size:
        raise ValueError(f"boxes{where(name)} have NaN at scored frame {missing[0]}")
    if not keep.any():
        raise ValueError(f"sequence{where(name)} has no scored frame (all flagged absent)")
    return pred_boxes[keep], gt_boxes[keep]
