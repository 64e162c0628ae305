"""GOT-10k results (got10k toolkit layout): <seq>/<seq>_001.txt boxes and <seq>/<seq>_time.txt seconds.

Boxes are x,y,w,h in the ground truth's 1-based convention, one line per frame, the first
frame holding the given box; repeated runs of a tracker are <seq>_002.txt, <seq>_003.txt, ...
"""

import re
from pathlib import Path
from typing import Optional

import numpy as np

from ..records import SequenceRun
from .text import box_line, read_box_file, require_results, write_lines


def got10k_paths(folder: Path, name: str, repetition: int = 1) -> tuple[Path, Path]:
    """The box file of one repetition and the time file of sequence `name`."""
    return folder / name / f"{name}_{repetition:03d}.txt", folder / name / f"{name}_time.txt"


def write_got10k(folder: Path, run: SequenceRun, offset: int = 1) -> list[Path]:
    boxes, times = got10k_paths(folder, run.name)
    write_lines(boxes, (box_line(b, offset) for b in run.boxes))
    write_lines(times, (f"{t:.8f}" for t in run.times))
    return [boxes, times]


def read_got10k(folder: Path, name: str, frames: int) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """(runs, frames, 4) boxes of every repetition found, and the per-frame times (None without a time file)."""
    first, time_file = got10k_paths(folder, name)
    require_results(first, name)
    pattern = re.compile(rf"{re.escape(name)}_(\d{{3}})\.txt")
    runs = sorted(p for p in first.parent.iterdir() if pattern.fullmatch(p.name))
    boxes = np.stack([read_box_file(path, frames, name) for path in runs])
    return boxes, read_times(time_file, frames, name) if time_file.is_file() else None


def read_times(path: Path, frames: int, name: str) -> np.ndarray:
    """One number (seconds) per frame."""
    text = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(text) != frames:
        raise ValueError(f"{path}: {len(text)} times but sequence {name!r} has {frames} frames")
    try:
        return np.array([float(v) for v in text])
    except ValueError:
        raise ValueError(f"{path}: expected one number per line (sequence {name!r})") from None
