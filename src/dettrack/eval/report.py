"""Benchmark report: score each tracker's results and write Markdown and CSV tables and PNG plots.

Into the output folder: report.md (summary table in percent, per-sequence table of the
headline metric, the plots), summary.csv and per_sequence.csv (the raw numbers: fractions,
FPS in frames per second) and one PNG per plot of the benchmark.
"""

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..data.images import PathLike
from ..io_utils import atomic_write
from .benchmarks import Benchmark, load_sequences
from .plots import curve_plot, operating_points_plot
from .scoring import TrackerScores, score_results


@dataclass(frozen=True)
class PlotSpec:
    title: str
    xlabel: str
    ylabel: str
    metric: tuple[str, ...]  # the summary metric the legend shows (the first one the benchmark has)


PLOTS = {
    "success": PlotSpec("Success plot", "Overlap threshold", "Success rate", ("AUC", "AO")),
    "precision": PlotSpec("Precision plot", "Location error threshold (pixels)", "Precision", ("Precision",)),
    "normalised precision": PlotSpec(
        "Normalised precision plot", "Normalised location error threshold", "Normalised precision", ("Norm. precision",)
    ),
    "precision-recall": PlotSpec("Precision / recall", "Tracking recall", "Tracking precision", ("F-score",)),
}
NOT_PERCENT = ("FPS",)


@dataclass
class Report:
    """The scores of every tracker and the files written."""

    scores: list[TrackerScores]
    files: list[Path]


def tracker_folders(paths: Iterable[PathLike]) -> list[Path]:
    """Results folders, one per tracker: a folder the runner wrote (with sequences/), or the
    tracker folders inside a runner's --out folder; any other folder is taken as one tracker's."""
    folders: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: results folder not found")
        inside = sorted(p for p in path.iterdir() if (p / "sequences").is_dir())
        folders.extend(inside if inside and not (path / "sequences").is_dir() else [path])
    names = [f.name for f in folders]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ValueError(f"two results folders are both named {duplicate!r}; trackers are told apart by folder name")
    return folders


def make_report(
    benchmark: Benchmark,
    root: PathLike,
    results: Iterable[PathLike],
    out: PathLike,
    split: Optional[str] = None,
    names: Optional[Iterable[str]] = None,
) -> Report:
    """Score every tracker folder in `results` on the benchmark at `root` and write the report into `out`."""
    sequences = load_sequences(benchmark, root, split, names)
    scores = [score_results(benchmark, sequences, folder, root, split) for folder in tracker_folders(results)]
    out = Path(out)
    files = [_summary_csv(out / "summary.csv", scores), _per_sequence_csv(out / "per_sequence.csv", scores)]
    files += _plots(out, benchmark, scores)
    split = split or benchmark.split
    what = "objects" if benchmark.masks else "sequences"
    title = f"{benchmark.name}{f' {split}' if split else ''}: {len(sequences)} {what}"
    files.append(_markdown(out / "report.md", title, scores, [f for f in files if f.suffix == ".png"]))
    return Report(scores, files)


def summary_table(scores: list[TrackerScores]) -> str:
    """The summary as a Markdown table, metrics in percent (FPS as it is)."""
    metrics = list(scores[0].summary)
    header = [f"{m} (%)" if m not in NOT_PERCENT else m for m in metrics]
    rows = [[s.tracker] + [_cell(s.summary.get(m, math.nan), m) for m in metrics] for s in scores]
    return _table(["Tracker", *header], rows)


def _plots(out: Path, benchmark: Benchmark, scores: list[TrackerScores]) -> list[Path]:
    files = []
    for key, spec in PLOTS.items():
        with_curve = [s for s in scores if key in s.curves]
        if with_curve:
            metric = next(m for m in spec.metric if m in with_curve[0].summary)
            curves = {s.tracker: (s.curves[key], s.summary.get(metric, math.nan)) for s in with_curve}
            path, title = out / f"{key.replace(' ', '_')}.png", f"{spec.title}: {benchmark.name}"
            files.append(
                curve_plot(path, curves, title, spec.xlabel, spec.ylabel, metric, best=key == "precision-recall")
            )
    if benchmark.format == "oxuva":
        points = {s.tracker: (s.summary["TNR"], s.summary["TPR"]) for s in scores}
        files.append(operating_points_plot(out / "operating_points.png", points, f"TPR / TNR: {benchmark.name}"))
    return files


def _summary_csv(path: Path, scores: list[TrackerScores]) -> Path:
    metrics = list(scores[0].summary)
    with atomic_write(path) as f:
        writer = csv.writer(f)
        writer.writerow(["tracker", *metrics])
        for s in scores:
            writer.writerow([s.tracker, *(_raw(s.summary.get(m, math.nan)) for m in metrics)])
    return path


def _per_sequence_csv(path: Path, scores: list[TrackerScores]) -> Path:
    metrics = list(dict.fromkeys(m for s in scores for row in s.per_sequence.values() for m in row))
    with atomic_write(path) as f:
        writer = csv.writer(f)
        writer.writerow(["tracker", "sequence", *metrics])
        for s in scores:
            for name, row in s.per_sequence.items():
                writer.writerow([s.tracker, name, *(_raw(row.get(m, math.nan)) for m in metrics)])
    return path


def _markdown(path: Path, title: str, scores: list[TrackerScores], plots: list[Path]) -> Path:
    lines = [f"# {title}", "", "## Summary", "", summary_table(scores), ""]
    first = next((s for s in scores if s.per_sequence), None)
    if first is not None:
        metric = next(iter(next(iter(first.per_sequence.values()))))
        names = list(dict.fromkeys(n for s in scores for n in s.per_sequence))
        rows = [[n] + [_cell(s.per_sequence.get(n, {}).get(metric, math.nan), metric) for s in scores] for n in names]
        lines += [f"## {metric} (%) per sequence", "", _table(["Sequence", *(s.tracker for s in scores)], rows), ""]
    if plots:
        lines += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots] + [""]
    with atomic_write(path) as f:
        f.write("\n".join(lines))
    return path


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _cell(value: float, metric: str) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.1f}" if metric in NOT_PERCENT else f"{100 * value:.1f}"


def _raw(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.6g}"
