"""The paper's evaluation protocols, run on a model and printed beside the published numbers.

"Learning to Track Any Object" (Dave et al. 2019), Tables 2-5: OxUvA dev (TPR, TNR, GM),
GOT-10k val (AO, SR0.5), LTB35 = VOT-LT 2018 (precision, recall, F), DAVIS 2017 val with box
initialisation (J and F Mean / Recall / Decay), each without ('dettrack') and with
('dettrack-temporal') the temporal smoothness; and the COCO mask mAP of the detection mode.
Only the benchmarks whose data is given are run. The published numbers are in METRICS.md.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Optional

from ..data import Sequence
from ..data.images import PathLike
from ..io_utils import atomic_write
from ..model import DetTrack
from .benchmarks import Benchmark, get_benchmark, group_units, load_sequences
from .coco import coco_map
from .peers import make_tracker, resolve_model
from .runner import run_tracker
from .scoring import score_results

VARIANTS = {"w/o temporal": "dettrack", "full": "dettrack-temporal"}


@dataclass(frozen=True)
class PaperTable:
    """One of the paper's tables: its benchmark, split, metrics and published numbers (percent) per variant."""

    benchmark: str
    title: str
    split: Optional[str]
    metrics: tuple[str, ...]
    published: dict[str, dict[str, float]]


TABLES = (
    PaperTable("oxuva", "Table 2: OxUvA dev", "dev", ("TPR", "TNR", "GM"), {
        "w/o temporal": {"TPR": 63.2, "TNR": 79.1, "GM": 70.8},
        "full": {"TPR": 65.5, "TNR": 78.2, "GM": 71.6},
    }),
    PaperTable("got10k", "Table 3: GOT-10k val", "val", ("AO", "SR0.5"), {
        "w/o temporal": {"AO": 69.5, "SR0.5": 79.1},
        "full": {"AO": 73.0, "SR0.5": 82.8},
    }),
    PaperTable("vot-lt", "Table 4: LTB35 (VOT-LT)", None, ("Precision", "Recall", "F-score"), {
        "w/o temporal": {"Precision": 61.0, "Recall": 56.9, "F-score": 58.9},
        "full": {"Precision": 61.2, "Recall": 61.2, "F-score": 61.2},
    }),
    PaperTable("davis2017", "Table 5: DAVIS 2017 val, box initialisation", "val",
        ("J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"), {
        "full": {"J-Mean": 59.2, "J-Recall": 68.6, "J-Decay": 8.4, "F-Mean": 67.8, "F-Recall": 76.1, "F-Decay": 12.0},
    }),
)  # fmt: skip
COCO_PUBLISHED = {"joint model": 30.5, "standalone detector": 34.4}


def run_paper(
    model: DetTrack | str | None,
    roots: Mapping[str, PathLike],
    out: PathLike,
    coco: Optional[tuple[PathLike, PathLike]] = None,
    device: str = "cpu",
    limit: Optional[int] = None,
    quiet: bool = False,
) -> str:
    """Run the tables whose dataset root is in `roots` (keys: oxuva, got10k, vot-lt, davis2017) and COCO
    when `coco` = (annotation file, image folder) is given; write <out>/paper.md and return its text.

    limit: only the first `limit` sequences (videos for DAVIS) and COCO images, for a quick look.
    Results stay in <out>/<benchmark>/<tracker>/ (resumable; `dettrack report` reads them).
    """
    unknown = set(roots) - {t.benchmark for t in TABLES}
    if unknown:
        raise ValueError(
            f"no paper table for {', '.join(sorted(unknown))}; tables: {', '.join(t.benchmark for t in TABLES)}"
        )
    if not roots and coco is None:
        raise ValueError("give at least one dataset (OxUvA, GOT-10k, VOT-LT, DAVIS 2017 or COCO)")
    model = resolve_model(model, device)
    sections = []
    for table in TABLES:
        if table.benchmark in roots:
            sections.append(_run_table(table, model, roots[table.benchmark], Path(out) / table.benchmark, limit, quiet))
    if coco is not None:
        scores = coco_map(model, *coco, limit=limit, quiet=quiet)
        rows = [[f"this model ({int(scores['images'])} images)", _percent(scores["mask mAP"])]]
        rows += [[f"paper, {name}", f"{value:.1f}"] for name, value in COCO_PUBLISHED.items()]
        sections.append(_markdown("COCO instance segmentation (detection mode)", ["mask mAP"], rows))
    text = "\n\n".join(sections) + "\n"
    with atomic_write(Path(out) / "paper.md") as f:
        f.write(text)
    return text


def _run_table(
    table: PaperTable, model: DetTrack, root: PathLike, folder: Path, limit: Optional[int], quiet: bool
) -> str:
    """Run both variants on the table's benchmark, score them and lay them out beside the paper's rows."""
    benchmark = get_benchmark(table.benchmark)
    sequences = _first_units(benchmark, load_sequences(benchmark, root, table.split), limit)
    rows = []
    for variant, tracker in VARIANTS.items():
        run_tracker(benchmark, sequences, tracker, partial(make_tracker, tracker, model=model), folder, quiet=quiet)
        ours = score_results(benchmark, sequences, folder / tracker, root, table.split).summary
        rows.append([f"this model, {variant}"] + [_percent(ours[m]) for m in table.metrics])
        if variant in table.published:
            rows.append([f"paper, {variant}"] + [f"{table.published[variant][m]:.1f}" for m in table.metrics])
    what = "objects" if benchmark.masks else "sequences"
    return _markdown(f"{table.title} ({len(sequences)} {what})", list(table.metrics), rows)


def _first_units(benchmark: Benchmark, sequences: list[Sequence], limit: Optional[int]) -> list[Sequence]:
    if limit is None:
        return sequences
    units = group_units(benchmark, sequences)
    return [seq for key in sorted(units)[:limit] for seq in units[key]]


def _markdown(title: str, metrics: list[str], rows: list[list[str]]) -> str:
    lines = [
        f"### {title}",
        "",
        "| | " + " | ".join(f"{m} (%)" for m in metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f}"
