"""Score one tracker's results folder with the benchmark's official metrics (dettrack.eval.metrics).

Results are read back from the official files the runner writes (so results of other trackers
in the same formats can be scored too) and compared with the dataset's ground truth in the
files' own pixel convention. Every error names the file and the sequence.

A `TrackerScores` holds the summary row (fractions, FPS in frames per second), a row per
sequence (or per object for DAVIS) and the curves the report plots.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..data import Sequence
from ..data.images import PathLike
from ..data.readers.oxuva_csv import read_oxuva_annotations
from .benchmarks import Benchmark
from .formats import (
    got10k_paths,
    ope_path,
    oxuva_path,
    read_got10k,
    read_ope,
    read_oxuva,
    read_vot_lt,
    track_key,
    vot_lt_paths,
)
from .masks_scoring import davis_results
from .metrics import (
    Got10kSequence,
    got10k_scores,
    got10k_sequence_ious,
    lasot_normalised_precision_curve,
    lasot_scores,
    otb_precision_curve,
    otb_scores,
    otb_success_curve,
    oxuva_assess_track,
    oxuva_scores,
    vot_lt_overlaps,
    vot_lt_scores,
    vot_lt_sequence_curves,
)
from .metrics.got10k import SUCCESS_THRESHOLDS as GOT10K_THRESHOLDS
from .metrics.otb import NORMALISED_PRECISION_THRESHOLDS, PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS
from .records import read_run, sequence_json

Curve = tuple[np.ndarray, np.ndarray]


@dataclass
class TrackerScores:
    """summary: metric -> value; per_sequence: name -> metric -> value; curves: plot -> (x, y)."""

    tracker: str
    summary: dict[str, float]
    per_sequence: dict[str, dict[str, float]] = field(default_factory=dict)
    curves: dict[str, Curve] = field(default_factory=dict)


@contextmanager
def in_file(path: Path) -> Iterator[None]:
    """Prefix a metric's ValueError with the results file it came from."""
    try:
        yield
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def score_results(
    benchmark: Benchmark, sequences: list[Sequence], folder: PathLike, root: PathLike, split: Optional[str] = None
) -> TrackerScores:
    """Score the results in `folder` (one tracker's) on `sequences` of the benchmark at `root`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: results folder not found")
    score = {
        "got10k": _got10k,
        "ope": _ope,
        "oxuva": _oxuva,
        "vot-lt": _vot_lt,
        "davis": _masks,
        "ytvos": _masks,
    }[benchmark.format]
    result = score(benchmark, sequences, folder, Path(root), split or benchmark.split)
    if "FPS" not in result.summary:
        result.summary["FPS"] = _json_fps(folder, sequences)
    return result


def _got10k(
    benchmark: Benchmark, sequences: list[Sequence], folder: Path, root: Path, split: Optional[str]
) -> TrackerScores:
    if not any(seq.labelled[1:].any() for seq in sequences):
        raise ValueError(
            f"{root}: the GOT-10k {split} ground truth is not public; submit {folder} to the evaluation server"
        )
    inputs, times = {}, []
    for seq in sequences:
        runs, seconds = read_got10k(folder, seq.name, len(seq))
        height, width = seq.frames.size()
        cover = seq.frame_flags.get("cover", np.where(seq.present, 8, 0))
        inputs[seq.name] = Got10kSequence(runs, _file_convention(seq.boxes, benchmark), cover, (width, height))
        with in_file(got10k_paths(folder, seq.name)[0]):
            got10k_sequence_ious(*inputs[seq.name], name=seq.name)
        if seconds is not None:
            times.append(seconds[np.isfinite(seconds) & (seconds > 0)])
    scores = got10k_scores(inputs)
    seconds = np.concatenate(times) if times else np.zeros(0)
    return TrackerScores(
        tracker=folder.name,
        summary={
            "AO": scores.ao,
            "SR0.5": scores.sr50,
            "SR0.75": scores.sr75,
            "FPS": float(np.mean(1 / seconds)) if seconds.size else math.nan,
        },
        per_sequence={name: {"AO": ao} for name, ao in scores.sequence_ao.items()},
        curves={"success": (GOT10K_THRESHOLDS, scores.success_curve)},
    )


def _ope(
    benchmark: Benchmark, sequences: list[Sequence], folder: Path, root: Path, split: Optional[str]
) -> TrackerScores:
    """OTB scores every frame; LaSOT and UAV123 skip the frames where the target is absent."""
    skips_absent = benchmark.name != "otb"
    inputs, per_sequence = {}, {}
    for seq in sequences:
        pred, gt = read_ope(folder, seq.name, len(seq)), _file_convention(seq.boxes, benchmark)
        absent = ~seq.present if skips_absent else None
        with in_file(ope_path(folder, seq.name)):
            per_sequence[seq.name] = {
                "AUC": float(np.mean(otb_success_curve(pred, gt, absent, seq.name))),
                "Precision": float(otb_precision_curve(pred, gt, absent, seq.name)[20]),
            }
            if benchmark.name == "lasot":
                curve = lasot_normalised_precision_curve(pred, gt, absent, seq.name)
                per_sequence[seq.name]["Norm. precision"] = float(np.mean(curve))
        inputs[seq.name] = (pred, gt, absent) if skips_absent else (pred, gt)
    scores = lasot_scores(inputs) if skips_absent else otb_scores(inputs)
    summary = {"AUC": scores.success_auc, "Precision": scores.precision}
    curves = {
        "success": (SUCCESS_THRESHOLDS, scores.success_curve),
        "precision": (PRECISION_THRESHOLDS, scores.precision_curve),
    }
    if benchmark.name == "lasot":
        summary["Norm. precision"] = scores.normalised_precision
        curves["normalised precision"] = (NORMALISED_PRECISION_THRESHOLDS, scores.normalised_precision_curve)
    return TrackerScores(folder.name, summary, per_sequence, curves)


def _oxuva(
    benchmark: Benchmark, sequences: list[Sequence], folder: Path, root: Path, split: Optional[str]
) -> TrackerScores:
    annotations = root / "annotations" / f"{split}.csv"
    if not annotations.is_file():
        raise FileNotFoundError(
            f"{annotations}: OxUvA {split} annotations not found (test results are scored by the evaluation server)"
        )
    tracks = read_oxuva_annotations(annotations)
    chosen, predictions, per_sequence = {}, {}, {}
    for seq in sequences:
        key = track_key(seq.name)
        if key not in tracks:
            raise ValueError(f"{annotations}: no annotations for track {key[0]} {key[1]} (sequence {seq.name!r})")
        chosen[key], predictions[key] = tracks[key], read_oxuva(folder, seq.name)
        with in_file(oxuva_path(folder, seq.name)):
            part = oxuva_assess_track(chosen[key], predictions[key], name=f"track {key[0]} {key[1]}")
        per_sequence[seq.name] = _rates(part.gt_present, part.pred_present, part.correct)
    scores = oxuva_scores(chosen, predictions)
    summary = {"TPR": scores.tpr, "TNR": scores.tnr, "GM": scores.gm, "MaxGM": scores.max_gm, "AUC": scores.auc}
    return TrackerScores(folder.name, summary, per_sequence)


def _vot_lt(
    benchmark: Benchmark, sequences: list[Sequence], folder: Path, root: Path, split: Optional[str]
) -> TrackerScores:
    inputs = {}
    for seq in sequences:
        boxes, confidence = read_vot_lt(folder, seq.name, len(seq))
        height, width = seq.frames.size()
        with in_file(vot_lt_paths(folder, seq.name)[0]):
            inputs[seq.name] = (vot_lt_overlaps(boxes, seq.boxes, (width, height), seq.name), confidence, seq.present)
    scores = vot_lt_scores(inputs)
    best = int(np.argmax(scores.thresholds == scores.threshold))
    per_sequence = {}
    for name, (overlaps, confidence, visible) in inputs.items():
        precision, recall = vot_lt_sequence_curves(overlaps, confidence, visible, scores.thresholds, name)
        p, r = float(precision[best]), float(recall[best])
        per_sequence[name] = {"Precision": p, "Recall": r, "F-score": 2 * p * r / (p + r) if p + r > 0 else 0.0}
    return TrackerScores(
        tracker=folder.name,
        summary={"Precision": scores.precision, "Recall": scores.recall, "F-score": scores.f_score},
        per_sequence=per_sequence,
        curves={"precision-recall": (scores.recall_curve, scores.precision_curve)},
    )


def _masks(
    benchmark: Benchmark, sequences: list[Sequence], folder: Path, root: Path, split: Optional[str]
) -> TrackerScores:
    scores = davis_results(benchmark, sequences, folder)
    summary = {
        "J&F": scores.jf_mean,
        "J-Mean": scores.j_mean,
        "J-Recall": scores.j_recall,
        "J-Decay": scores.j_decay,
        "F-Mean": scores.f_mean,
        "F-Recall": scores.f_recall,
        "F-Decay": scores.f_decay,
    }
    per_object = {key: {"J-Mean": scores.j[key].mean, "F-Mean": scores.f[key].mean} for key in scores.j}
    return TrackerScores(folder.name, summary, per_object)


def _file_convention(boxes: np.ndarray, benchmark: Benchmark) -> np.ndarray:
    """Ground-truth boxes shifted back to the origin of the benchmark's files (1-based for OTB-style files)."""
    shifted = boxes.copy()
    shifted[:, :2] += benchmark.offset
    return shifted


def _rates(gt_present: np.ndarray, pred_present: np.ndarray, correct: np.ndarray) -> dict[str, float]:
    """One OxUvA track's TPR and TNR (NaN where undefined)."""
    tp = np.sum(gt_present & pred_present & correct)
    tn = np.sum(~gt_present & ~pred_present)
    positives, negatives = np.sum(gt_present), np.sum(~gt_present)
    return {"TPR": tp / positives if positives else math.nan, "TNR": tn / negatives if negatives else math.nan}


def _json_fps(folder: Path, sequences: list[Sequence]) -> float:
    """Tracked frames per second over all sequences, from the runner's JSON files (NaN without them)."""
    frames, seconds = 0, 0.0
    for seq in sequences:
        path = sequence_json(folder, seq.name)
        if not path.is_file():
            return math.nan
        run = read_run(path)
        start = run["init_frame"]
        times = [t for t in run["times"][start + 1 :] if t is not None]
        frames, seconds = frames + len(times), seconds + sum(times)
    return frames / seconds if seconds > 0 else math.nan
