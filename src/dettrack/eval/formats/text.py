"""Plain-text box files shared by the official formats: x,y,w,h per line, one line per frame."""

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ...data.textfiles import parse_floats, read_lines, split_fields
from ...io_utils import atomic_write


def write_lines(path: Path, lines: Iterable[str]) -> Path:
    """A text file with one entry per line, written atomically."""
    with atomic_write(path) as f:
        f.writelines(f"{line}\n" for line in lines)
    return path


def box_line(box: np.ndarray, offset: int = 0) -> str:
    """'x,y,w,h' with three decimals, x and y shifted by `offset` (1 for 1-based files)."""
    x, y, w, h = (float(v) for v in box)
    return f"{x + offset:.3f},{y + offset:.3f},{w:.3f},{h:.3f}"


def require_results(path: Path, name: str) -> Path:
    """`path`, or a FileNotFoundError saying which sequence's results are missing."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: results for sequence {name!r} not found")
    return path


def read_box_file(path: Path, frames: int, name: str) -> np.ndarray:
    """(frames, 4) boxes exactly as written in a results file (NaN rows allowed, checked by the metrics).

    Errors name the file, the line and the sequence: a line that is not four numbers, an
    infinite value, a negative width or height, or a row count that differs from the frames.
    """
    rows = []
    for number, line in read_lines(require_results(path, name)):
        where = f"{path}:{number}"
        values = parse_floats(split_fields(line), where)
        if len(values) != 4:
            raise ValueError(f"{where}: expected 4 numbers x,y,w,h for sequence {name!r}, got {len(values)}")
        rows.append(values)
    return check_boxes(np.array(rows, dtype=np.float64).reshape(-1, 4), frames, path, name)


def check_boxes(boxes: np.ndarray, frames: int, path: Path, name: str) -> np.ndarray:
    """Row count, finiteness (NaN allowed) and non-negative sizes of boxes read from `path`."""
    if len(boxes) != frames:
        raise ValueError(f"{path}: {len(boxes)} rows but sequence {name!r} has {frames} frames")
    bad = np.flatnonzero(np.isinf(boxes).any(axis=1))
    if bad.size:
        raise ValueError(f"{path}: infinite value in row {bad[0] + 1} (sequence {name!r})")
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero((boxes[:, 2:] < 0).any(axis=1))
    if bad.size:
        raise ValueError(f"{path}: negative width or height in row {bad[0] + 1} (sequence {name!r})")
    return boxes
