"""Scores of tracks as a user receives them: every box, as reported, the present flag, the confidence.

A user keeps the frames a tracker calls present and drops the rest, so beside GOT-10k's AO of the
best-guess box on every frame (`ao_every`) this scores AO *as reported* (`ao_reported`: a frame
called absent while the target is in view counts as overlap 0), OxUvA's TPR, TNR and GM of the
present flag (a frame is a true positive when the target is in view, called present and boxed at
IoU >= 0.5; a true negative when it is out of view and called absent), and how well the per-frame
confidence tells right frames (IoU >= 0.5) from wrong ones (target in view, IoU < 0.5) and from
absent ones: the area under the ROC curve (Mann-Whitney, ties counted half). With them, the
tracking precision, recall and F-score of VOT's long-term challenge at the tracker's own flag
(precision: mean IoU over the frames called present, 0 where the target is out of view; recall:
AO as reported; F: their harmonic mean). Frames are pooled over sequences; the init frame and
unlabelled frames are not scored.
"""

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..data import Sequence
from ..types import TrackResult
from .metrics import OxuvaPredictions, oxuva_scores
from .metrics._checks import frame_vector, same_length, xywh_boxes
from .metrics.overlap import clip_to_image, iou_xywh
from .peers import PeerTracker
from .records import read_run, sequence_json

RIGHT_IOU = 0.5  # a frame is "right" at this IoU, as OxUvA's true positives and SR0.5


@dataclass(frozen=True)
class TrackFrames:
    """One tracked object as the user received it, and its ground truth.

    boxes: (N, 4) best-guess (x, y, w, h) on every frame; present: (N,) the tracker's flag; scores: (N,)
    its confidence; gt_boxes: (N, 4) with NaN rows where the target is out of view; gt_present: (N,);
    scored: (N,) the frames to score (after the init frame, labelled); resolution: (W, H).
    """

    boxes: np.ndarray
    present: np.ndarray
    scores: np.ndarray
    gt_boxes: np.ndarray
    gt_present: np.ndarray
    scored: np.ndarray
    resolution: tuple[float, float]

    @classmethod
    def build(
        cls,
        boxes: npt.ArrayLike,
        present: npt.ArrayLike,
        scores: npt.ArrayLike,
        gt_boxes: npt.ArrayLike,
        gt_present: npt.ArrayLike,
        resolution: tuple[float, float],
        init_frame: int = 0,
        labelled: npt.ArrayLike | None = None,
        name: str = "",
    ) -> "TrackFrames":
        """Checked arrays; every frame after init_frame (and labelled, when given) is scored."""
        gt = xywh_boxes(gt_boxes, "ground truth", name, nan_rows=True)
        pred = xywh_boxes(boxes, "predictions", name, nan_rows=True)
        same_length(pred, gt, name)
        count = len(gt)
        flags = frame_vector(present, count, "present flags", name).astype(bool)
        conf = frame_vector(scores, count, "scores", name).astype(np.float64)
        truth = frame_vector(gt_present, count, "ground-truth presence", name).astype(bool)
        scored = np.arange(count) > init_frame
        if labelled is not None:
            scored &= frame_vector(labelled, count, "labelled flags", name).astype(bool)
        if not scored.any():
            raise ValueError(f"{name or 'sequence'}: no frame to score after the init frame {init_frame}")
        return cls(pred, flags, conf, gt, truth, scored, resolution)

    def ious(self) -> np.ndarray:
        """(N,) IoU of the best-guess box with the ground truth (clipped to the image as GOT-10k does); 0 where
        the target is out of view or the box is missing."""
        width, height = self.resolution
        out = np.zeros(len(self.gt_boxes))
        both = self.gt_present & np.isfinite(self.boxes).all(1) & np.isfinite(self.gt_boxes).all(1)
        out[both] = iou_xywh(clip_to_image(self.boxes[both], width, height), clip_to_image(self.gt_boxes[both], width, height))
        return out


@dataclass(frozen=True)
class ReportedScores:
    """Pooled scores of many tracks (see the module's docstring). NaN where a set has no such frames."""

    frames: int  # scored frames with the target in view
    absent_frames: int  # scored frames with the target out of view
    ao_every: float
    ao_reported: float
    sr50_every: float
    sr50_reported: float
    tpr: float
    tnr: float
    gm: float
    precision: float
    f_score: float
    auc_right_wrong: float
    auc_right_absent: float

    @property
    def presence_cost(self) -> float:
        """AO lost to the present flag: every box minus as reported."""
        return self.ao_every - self.ao_reported


def score_as_reported(tracks: Iterable[TrackFrames]) -> ReportedScores:
    """ReportedScores of the tracks, every scored frame pooled."""
    tracks = list(tracks)
    if not tracks:
        raise ValueError("no tracks to score")
    ious, called, view, scores = [], [], [], []
    labels, predictions = {}, {}
    for k, track in enumerate(tracks):
        ious.append(track.ious()[track.scored])
        called.append(track.present[track.scored])
        view.append(track.gt_present[track.scored])
        scores.append(track.scores[track.scored])
        labels[(str(k), "")], predictions[(str(k), "")] = _oxuva(track)
    iou, called_all, view_all, conf = (np.concatenate(a) for a in (ious, called, view, scores))
    iou_all = iou[view_all]
    rep_all = np.where(called_all, iou, 0.0)[view_all]
    right, wrong = view_all & (iou >= RIGHT_IOU), view_all & (iou < RIGHT_IOU)
    oxuva = oxuva_scores(labels, predictions, RIGHT_IOU)
    precision, recall = _mean(iou[called_all]), _mean(rep_all)  # IoU is 0 where the target is out of view
    return ReportedScores(
        frames=int(view_all.sum()),
        absent_frames=int((~view_all).sum()),
        ao_every=_mean(iou_all),
        ao_reported=_mean(rep_all),
        sr50_every=_mean(iou_all >= RIGHT_IOU),
        sr50_reported=_mean(rep_all >= RIGHT_IOU),
        tpr=oxuva.tpr,
        tnr=oxuva.tnr,
        gm=oxuva.gm if not math.isnan(oxuva.tnr) else math.nan,
        precision=precision,
        f_score=2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0,
        auc_right_wrong=roc_auc(conf[right], conf[wrong]),
        auc_right_absent=roc_auc(conf[right], conf[~view_all]),
    )


def track_clip(tracker: PeerTracker, frames: Iterable[np.ndarray], gt_boxes: np.ndarray, gt_present: np.ndarray) -> tuple[TrackFrames, float]:
    """Run a tracker over a clip's frames (H x W x 3 each; init on the first with its ground-truth
    box, then update); returns what it reported, as TrackFrames, and the seconds its updates took."""
    frames = iter(frames)
    first = next(frames)
    tracker.init(first, tuple(gt_boxes[0]))
    results = [TrackResult(tuple(gt_boxes[0]), 1.0, True, None)]
    started = time.perf_counter()
    results += [tracker.update(frame) for frame in frames]
    seconds = time.perf_counter() - started
    height, width = first.shape[:2]
    track = TrackFrames.build(
        [r.box for r in results], [r.present for r in results], [r.score for r in results], gt_boxes, gt_present, (width, height)
    )
    return track, seconds


def tracks_from_results(folder: Path, sequences: Iterable[Sequence]) -> dict[str, TrackFrames]:
    """The runner's per-sequence JSONs in one tracker's results folder (`dettrack eval`), as TrackFrames
    against the sequences' ground truth; sequences without a result are left out."""
    out = {}
    for seq in sequences:
        path = sequence_json(Path(folder), seq.name)
        if not path.is_file():
            continue
        run = read_run(path)
        if run["frames"] != len(seq):
            raise ValueError(f"{path}: {run['frames']} frames for the {len(seq)} of sequence {seq.name}")
        boxes = np.array([[math.nan] * 4 if b is None else b for b in run["boxes"]], dtype=np.float64)
        height, width = seq.frames.size()
        out[seq.name] = TrackFrames.build(
            boxes, run["present"], run["scores"], seq.boxes, seq.present, (width, height), run["init_frame"], seq.labelled, f"{path}"
        )
    return out


def roc_auc(positives: npt.ArrayLike, negatives: npt.ArrayLike) -> float:
    """Area under the ROC curve of a score that should rank positives above negatives: the chance
    that a random positive scores higher than a random negative, ties counted half (Mann-Whitney U).
    NaN when either set is empty."""
    pos = np.asarray(positives, dtype=np.float64).ravel()
    neg = np.asarray(negatives, dtype=np.float64).ravel()
    if not pos.size or not neg.size:
        return math.nan
    values = np.concatenate([pos, neg])
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends):  # tied values share their mean rank
        ranks[order[start:end]] = (start + end + 1) / 2
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def score_table(rows: Mapping[str, ReportedScores], title: str = "tracker") -> str:
    """A markdown table of ReportedScores, one row each."""
    lines = [
        f"| {title} | frames (absent) | AO as reported | AO every box | presence cost | SR0.5 as reported | TPR | TNR | GM | F | AUC right/wrong | AUC right/absent |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in rows.items():
        lines.append(
            f"| {name} | {s.frames} ({s.absent_frames}) | {_cell(s.ao_reported)} | {_cell(s.ao_every)} | {_cell(s.presence_cost)} | "
            f"{_cell(s.sr50_reported)} | {_cell(s.tpr)} | {_cell(s.tnr)} | {_cell(s.gm)} | {_cell(s.f_score)} | {_cell(s.auc_right_wrong)} | {_cell(s.auc_right_absent)} |"
        )
    return "\n".join(lines)


def _oxuva(track: TrackFrames) -> tuple[object, OxuvaPredictions]:
    """The track's scored frames in OxUvA's units (boxes normalised to the frame), for oxuva_scores."""
    width, height = track.resolution
    frames = np.flatnonzero(track.scored)
    scale = np.array([width, width, height, height], dtype=np.float64)

    def unit(boxes: np.ndarray) -> np.ndarray:
        x, y, w, h = boxes.T
        return np.stack([x, x + w, y, y + h], 1) / scale

    gt = unit(track.gt_boxes[frames])
    gt[~track.gt_present[frames]] = np.nan
    labels = _Labels(frames, track.gt_present[frames], gt)
    pred = OxuvaPredictions(frames=frames, present=track.present[frames], score=track.scores[frames], boxes=unit(track.boxes[frames]))
    return labels, pred


@dataclass(frozen=True)
class _Labels:
    frames: np.ndarray
    present: np.ndarray
    boxes: np.ndarray


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _cell(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"
