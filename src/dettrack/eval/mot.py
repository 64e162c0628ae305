"""Multi-object tracking scores: HOTA (with DetA and AssA), IDF1, MOTA and identity switches.

A sequence is scored from its frames' ground-truth and tracker objects, each a mapping
{id: (x, y, w, h)} (any hashable ids; similarity is box IoU). IDF1, MOTA and switches come from
motmetrics (IoU >= 0.5 to match, as MOTChallenge). HOTA follows its definition (Luiten et al.,
IJCV 2020) and TrackEval's procedure: for each localisation threshold α in 0.05, 0.10, ..., 0.95,
every frame's boxes are matched one-to-one (Hungarian) on IoU weighted by how often the two ids
overlap over the whole sequence, matches under α dropped; DetA = TP / (TP + FN + FP); AssA is the
mean over true positives of the Jaccard index of their two ids' matches; HOTA_α = sqrt(DetA_α
AssA_α), averaged over α. Combined over sequences, the counts are pooled (HOTA's and motmetrics'
own rule). TrackEval itself is not a dependency: every version pulls in opencv-python, which
shadows opencv-contrib's trackers (the peers); tests/test_metrics_mot.py checks the figures against
TrackEval where it is installed.
"""

from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..boxes import iou_matrix

FrameObjects = Mapping[Hashable, Sequence[float]]  # {id: (x, y, w, h)} in one frame
ALPHAS = np.arange(0.05, 0.99, 0.05)  # HOTA's localisation thresholds
EPS = np.finfo(float).eps


@dataclass(frozen=True)
class MotScores:
    hota: float
    deta: float
    assa: float
    idf1: float
    mota: float
    id_switches: int
    gt_ids: int
    tracker_ids: int


@dataclass
class _HotaCounts:
    """One sequence's (or pooled) HOTA counts per α: true positives, misses, false boxes, and the
    sum over true positives of their ids' association Jaccard index."""

    tp: np.ndarray
    fn: np.ndarray
    fp: np.ndarray
    association: np.ndarray

    def __add__(self, other: "_HotaCounts") -> "_HotaCounts":
        return _HotaCounts(self.tp + other.tp, self.fn + other.fn, self.fp + other.fp, self.association + other.association)

    def scores(self) -> tuple[float, float, float]:
        deta = self.tp / np.maximum(1.0, self.tp + self.fn + self.fp)
        assa = self.association / np.maximum(1.0, self.tp)
        return float(np.mean(np.sqrt(deta * assa))), float(np.mean(deta)), float(np.mean(assa))


def mot_scores(sequences: Mapping[str, tuple[Sequence[FrameObjects], Sequence[FrameObjects]]]) -> dict[str, MotScores]:
    """{sequence name: (ground truth per frame, tracker output per frame)} -> scores per sequence
    and, under "combined", over all of them."""
    import motmetrics

    counts, accumulators, ids = {}, [], {}
    for name, (gt, found) in sequences.items():
        if len(gt) != len(found):
            raise ValueError(f"{name}: {len(gt)} ground-truth frames but {len(found)} tracker frames")
        frames, num_gt, num_tr = _frames(gt, found)
        counts[name] = _hota_counts(frames, num_gt, num_tr)
        accumulators.append(_accumulator(frames))
        ids[name] = (len({k for f in gt for k in f}), len({k for f in found for k in f}))
    names = list(sequences)
    summary = motmetrics.metrics.create().compute_many(
        accumulators, metrics=["idf1", "mota", "num_switches"], names=names, generate_overall=True
    )
    counts["combined"] = sum(counts.values(), _HotaCounts(*(np.zeros(len(ALPHAS)) for _ in range(4))))
    ids["combined"] = (sum(i[0] for i in ids.values()), sum(i[1] for i in ids.values()))
    out = {}
    for name, row in zip([*names, "combined"], [*names, "OVERALL"]):
        hota, deta, assa = counts[name].scores()
        idf1, mota, switches = (summary.loc[row, key] for key in ("idf1", "mota", "num_switches"))
        out[name] = MotScores(hota, deta, assa, float(np.nan_to_num(idf1)), float(mota), int(switches), *ids[name])
    return out


def _frames(gt: Sequence[FrameObjects], found: Sequence[FrameObjects]):
    """Per frame: ground-truth id indices, tracker id indices, their IoU matrix; and the id counts."""
    gt_index = {k: i for i, k in enumerate(dict.fromkeys(k for f in gt for k in f))}
    tr_index = {k: i for i, k in enumerate(dict.fromkeys(k for f in found for k in f))}
    frames = []
    for g, t in zip(gt, found):
        boxes_g = np.array(list(g.values()), float).reshape(-1, 4)
        boxes_t = np.array(list(t.values()), float).reshape(-1, 4)
        frames.append((np.array([gt_index[k] for k in g], int), np.array([tr_index[k] for k in t], int), iou_matrix(boxes_g, boxes_t)))
    return frames, len(gt_index), len(tr_index)


def _hota_counts(frames: list, num_gt: int, num_tr: int) -> _HotaCounts:
    """HOTA's counts over _frames()' output (TrackEval's procedure, see the module's docstring)."""
    # how strongly each pair of ids overlaps over the sequence (the matching's tie-breaker)
    potential = np.zeros((num_gt, num_tr))
    gt_count, tr_count = np.zeros((num_gt, 1)), np.zeros((1, num_tr))
    for g, t, sim in frames:
        if len(g) and len(t):
            denominator = sim.sum(0)[None, :] + sim.sum(1)[:, None] - sim
            potential[g[:, None], t[None, :]] += np.where(denominator > EPS, sim / np.maximum(denominator, EPS), 0.0)
        gt_count[g] += 1
        tr_count[0, t] += 1
    alignment = potential / np.maximum(EPS, gt_count + tr_count - potential)
    tp, fn, fp = np.zeros(len(ALPHAS)), np.zeros(len(ALPHAS)), np.zeros(len(ALPHAS))
    matches = np.zeros((len(ALPHAS), num_gt, num_tr))
    for g, t, sim in frames:
        if not len(g) or not len(t):
            fn += len(g)
            fp += len(t)
            continue
        rows, cols = linear_sum_assignment(-(alignment[g[:, None], t[None, :]] * sim))
        for a, alpha in enumerate(ALPHAS):
            kept = sim[rows, cols] >= alpha - EPS
            tp[a] += kept.sum()
            fn[a] += len(g) - kept.sum()
            fp[a] += len(t) - kept.sum()
            matches[a, g[rows[kept]], t[cols[kept]]] += 1
    jaccard = matches / np.maximum(1.0, gt_count[None] + tr_count[None] - matches)
    return _HotaCounts(tp, fn, fp, (matches * jaccard).sum((1, 2)))


def _accumulator(frames: list):
    """motmetrics' record of a sequence (_frames()' output, integer ids): matches at IoU >= 0.5."""
    import motmetrics

    accumulator = motmetrics.MOTAccumulator(auto_id=True)
    for g, t, sim in frames:
        distances = 1.0 - sim
        distances[distances > 0.5] = np.nan
        accumulator.update(g.tolist(), t.tolist(), distances)
    return accumulator
