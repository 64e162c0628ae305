"""The benchmarks the runner and the report know: which reader, which split, which result format.

A `Benchmark` ties a name on the command line to a dataset reader (dettrack.data), its default
split, the official result format (dettrack.eval.formats) and the pixel convention of that
format's box files (`offset`: 1 for the 1-based MATLAB files of OTB, LaSOT and GOT-10k).
Mask benchmarks are run a whole video at a time, so their per-frame PNGs hold every object.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from ..data import Sequence, open_dataset
from ..data.images import PathLike


@dataclass(frozen=True)
class Benchmark:
    """name: CLI name; kind: dataset reader; split: default split; format: result format; offset: box file origin."""

    name: str
    kind: str
    split: Optional[str]
    format: str
    offset: int = 0

    @property
    def masks(self) -> bool:
        return self.format in ("davis", "ytvos")


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("got10k", "got10k", "val", "got10k", offset=1),
        Benchmark("lasot", "lasot", None, "ope", offset=1),
        Benchmark("otb", "otb", None, "ope", offset=1),
        Benchmark("uav123", "uav123", None, "ope"),
        Benchmark("oxuva", "oxuva", "dev", "oxuva"),
        Benchmark("vot-lt", "vot", None, "vot-lt"),
        Benchmark("davis2016", "davis2016", None, "davis"),
        Benchmark("davis2017", "davis2017", None, "davis"),
        Benchmark("ytvos", "youtube_vos", None, "ytvos"),
    )
}


def get_benchmark(name: str) -> Benchmark:
    """The Benchmark called `name`; a ValueError listing the known ones otherwise."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(BENCHMARKS)}")
    return BENCHMARKS[name]


def load_sequences(
    benchmark: Benchmark, root: PathLike, split: Optional[str] = None, names: Optional[Iterable[str]] = None
) -> list[Sequence]:
    """The benchmark's sequences under `root` (its default split unless `split`), optionally only `names`.

    A name selects a sequence ('bear/1') or every object of a video ('bear').
    """
    sequences = open_dataset(benchmark.kind, root, split or benchmark.split)
    if names is None:
        return sequences
    wanted = list(dict.fromkeys(names))
    known = {s.name for s in sequences} | {s.video for s in sequences}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        sample = ", ".join(sorted(s.name for s in sequences)[:5])
        raise ValueError(f"{root}: no sequence {unknown[0]!r} in {benchmark.name} (it has e.g. {sample})")
    return [s for s in sequences if s.name in wanted or s.video in wanted]


def group_units(benchmark: Benchmark, sequences: list[Sequence]) -> dict[str, list[Sequence]]:
    """The runner's units of work, by key: a whole video for mask benchmarks, else one sequence."""
    units: dict[str, list[Sequence]] = {}
    for seq in sequences:
        units.setdefault(seq.video if benchmark.masks else seq.name, []).append(seq)
    return units
