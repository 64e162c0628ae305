"""Multi-object tracking scores with TrackEval (HOTA, DetA, AssA; IDF1; MOTA, ID switches).

A sequence is scored from its frames' ground-truth and tracker objects, each a mapping
{id: (x, y, w, h)}: ids may be any hashable (they are renumbered per sequence, as TrackEval
wants), similarity is box IoU. TrackEval's own metric classes compute the figures, per
sequence and combined over sequences (their combine rules: HOTA over the pooled matches,
IDF1 and MOTA over the pooled counts).
"""

from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence

import numpy as np

FrameObjects = Mapping[Hashable, Sequence[float]]  # {id: (x, y, w, h)} in one frame


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


def mot_scores(sequences: Mapping[str, tuple[Sequence[FrameObjects], Sequence[FrameObjects]]]) -> dict[str, MotScores]:
    """{sequence name: (ground truth per frame, tracker output per frame)} -> scores per sequence
    and, under "combined", over all of them."""
    try:
        from trackeval.metrics import CLEAR, HOTA, Identity
    except ImportError as err:  # an optional dependency of the benchmarks (the 'dev' extra)
        raise ImportError("multi-object scores need TrackEval: pip install trackeval") from err
    metrics = {"HOTA": HOTA(), "Identity": Identity({"PRINT_CONFIG": False}), "CLEAR": CLEAR({"PRINT_CONFIG": False})}
    results: dict[str, dict[str, dict]] = {}
    for name, (gt, found) in sequences.items():
        if len(gt) != len(found):
            raise ValueError(f"{name}: {len(gt)} ground-truth frames but {len(found)} tracker frames")
        data = _sequence_data(gt, found)
        results[name] = {key: metric.eval_sequence(data) for key, metric in metrics.items()}
    combined = {key: metric.combine_sequences({n: r[key] for n, r in results.items()}) for key, metric in metrics.items()}
    counts = {name: _id_counts(*sequence) for name, sequence in sequences.items()}
    out = {name: _scores(r, counts[name]) for name, r in results.items()}
    out["combined"] = _scores(combined, (sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())))
    return out


def _id_counts(gt: Sequence[FrameObjects], found: Sequence[FrameObjects]) -> tuple[int, int]:
    return len({k for f in gt for k in f}), len({k for f in found for k in f})


def _scores(r: dict[str, dict], ids: tuple[int, int]) -> MotScores:
    return MotScores(
        hota=float(np.mean(r["HOTA"]["HOTA"])), deta=float(np.mean(r["HOTA"]["DetA"])), assa=float(np.mean(r["HOTA"]["AssA"])),
        idf1=float(r["Identity"]["IDF1"]), mota=float(r["CLEAR"]["MOTA"]), id_switches=int(r["CLEAR"]["IDSW"]),
        gt_ids=ids[0], tracker_ids=ids[1],
    )


def _sequence_data(gt: Sequence[FrameObjects], found: Sequence[FrameObjects]) -> dict:
    """TrackEval's per-sequence data: ids renumbered 0..n-1, IoU similarity per frame."""
    gt_index = {k: i for i, k in enumerate(dict.fromkeys(k for f in gt for k in f))}
    tr_index = {k: i for i, k in enumerate(dict.fromkeys(k for f in found for k in f))}
    data: dict = {"num_timesteps": len(gt), "num_gt_ids": len(gt_index), "num_tracker_ids": len(tr_index), "gt_ids": [], "tracker_ids": [], "similarity_scores": []}
    for g, t in zip(gt, found):
        data["gt_ids"].append(np.array([gt_index[k] for k in g], dtype=int))
        data["tracker_ids"].append(np.array([tr_index[k] for k in t], dtype=int))
        data["similarity_scores"].append(iou_matrix(np.array(list(g.values()), float).reshape(-1, 4), np.array(list(t.values()), float).reshape(-1, 4)))
    data["num_gt_dets"] = sum(len(i) for i in data["gt_ids"])
    data["num_tracker_dets"] = sum(len(i) for i in data["tracker_ids"])
    return data


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU [len(a), len(b)] of (x, y, w, h) boxes."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, :2] + a[:, None, 2:], b[None, :, :2] + b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    union = a[:, None, 2:].prod(-1) + b[None, :, 2:].prod(-1) - inter
    return inter / np.maximum(union, 1e-12)
