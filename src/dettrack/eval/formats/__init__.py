"""Official result formats of the benchmarks: writers for the runner, readers for the report.

Box formats (one writer per benchmark family): GOT-10k, OTB/LaSOT/UAV123 ('ope'), OxUvA, VOT-LT.
Mask formats (DAVIS, YouTube-VOS) are palette PNGs written frame by frame (`masks`).
Readers check what they read and name the file and the sequence in every error.
"""

from pathlib import Path

from ...data import Sequence
from ..benchmarks import Benchmark
from ..records import SequenceRun
from .got10k import got10k_paths, read_got10k, write_got10k
from .masks import mask_path, read_label_png, voc_palette, write_label_png
from .ope import ope_path, read_ope, write_ope
from .oxuva import oxuva_path, read_oxuva, track_key, write_oxuva
from .votlt import read_vot_lt, vot_lt_paths, write_vot_lt


def write_sequence(benchmark: Benchmark, folder: Path, seq: Sequence, run: SequenceRun) -> list[Path]:
    """Write one sequence's box results in the benchmark's official format (mask formats write nothing here)."""
    if benchmark.format == "got10k":
        return write_got10k(folder, run, benchmark.offset)
    if benchmark.format == "ope":
        return write_ope(folder, run, benchmark.offset)
    if benchmark.format == "oxuva":
        return write_oxuva(folder, seq, run)
    if benchmark.format == "vot-lt":
        return write_vot_lt(folder, run)
    return []


__all__ = [
    "got10k_paths",
    "mask_path",
    "ope_path",
    "oxuva_path",
    "read_got10k",
    "read_label_png",
    "read_ope",
    "read_oxuva",
    "read_vot_lt",
    "track_key",
    "voc_palette",
    "vot_lt_paths",
    "write_got10k",
    "write_label_png",
    "write_ope",
    "write_oxuva",
    "write_sequence",
    "write_vot_lt",
]
