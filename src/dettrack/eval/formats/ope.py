"""One-pass-evaluation results of OTB, LaSOT and UAV123: <seq>.txt with x,y,w,h per frame.

OTB and LaSOT files are 1-based like their ground truth (offset 1); UAV123's are 0-based.
"""

from pathlib import Path

import numpy as np

from ..records import SequenceRun
from .text import box_line, read_box_file, write_lines


def ope_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.txt"


def write_ope(folder: Path, run: SequenceRun, offset: int = 1) -> list[Path]:
    return [write_lines(ope_path(folder, run.name), (box_line(b, offset) for b in run.boxes))]


def read_ope(folder: Path, name: str, frames: int) -> np.ndarray:
    """(frames, 4) boxes as written."""
    return read_box_file(ope_path(folder, name), frames, name)
