"""Benchmark plots as PNG files: several trackers overlaid on one figure.

- `curve_plot`: OTB-style success and precision plots, LaSOT's normalised precision, the
  GOT-10k success plot and VOT-LT precision/recall curves; the legend is ordered by score.
- `operating_points_plot`: OxUvA's TPR against TNR, one point per tracker, with curves of equal GM.

Figures are made with matplotlib's object API (Figure, rendered by Agg), not pyplot: no display,
no global backend switch, nothing left open.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..io_utils import atomic_write

Curve = tuple[np.ndarray, np.ndarray]


def curve_plot(
    path: Path,
    curves: dict[str, tuple[Curve, float]],
    title: str,
    xlabel: str,
    ylabel: str,
    metric: str = "",
    best: bool = False,
) -> Path:
    """Curves by tracker: label -> ((x, y), score), the legend giving `metric` = score; `best` marks
    each curve's point of maximum F = 2xy / (x + y) (precision / recall plots)."""
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    for label, ((x, y), score) in sorted(curves.items(), key=lambda item: -_sortable(item[1][1])):
        (line,) = ax.plot(x, y, linewidth=2, label=f"{label} [{metric} {score:.3f}]".replace("[ ", "["))
        if best:
            f = np.divide(2 * x * y, x + y, out=np.zeros_like(x, dtype=float), where=(x + y) > 0)
            k = int(np.argmax(f))
            ax.plot(x[k], y[k], "o", color=line.get_color(), clip_on=False)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, ylim=(0, 1.02))
    if best:
        ax.set_xlim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def operating_points_plot(path: Path, points: dict[str, tuple[float, float]], title: str) -> Path:
    """TPR (y) against TNR (x) per tracker, over dotted curves of constant GM = sqrt(TPR * TNR)."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    tnr = np.linspace(0.01, 1, 200)
    for gm in (0.2, 0.4, 0.6, 0.8):
        ax.plot(tnr, np.where(gm**2 / tnr <= 1, gm**2 / tnr, np.nan), ":", color="grey", linewidth=0.8)
    for label, (x, y) in points.items():
        ax.plot(x, y, "o", markersize=8, clip_on=False, label=f"{label} [GM {np.sqrt(x * y):.3f}]")
    ax.set(title=title, xlabel="True negative rate", ylabel="True positive rate", xlim=(0, 1), ylim=(0, 1))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return _save(fig, path)


def _sortable(score: float) -> float:
    return -np.inf if np.isnan(score) else score


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=110)
    return path
