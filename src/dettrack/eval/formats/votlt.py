"""VOT long-term results (VOT toolkit layout): longterm/<seq>/<seq>_001.txt with one region per
frame ('1' on the init frame, '0' for unknown frames before it, else x,y,w,h in 0-based
pixels), <seq>_001_confidence.value (one confidence per frame, empty on the init frame) and
<seq>_001_time.value (seconds per frame).
"""

import math
from pathlib import Path

import numpy as np

from ...data.textfiles import parse_floats, split_fields
from ..records import SequenceRun
from .text import box_line, check_boxes, require_results, write_lines

INIT, UNKNOWN = "1", "0"


def vot_lt_paths(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """The region, confidence and time files of sequence `name`."""
    base = folder / "longterm" / name / f"{name}_001"
    return Path(f"{base}.txt"), Path(f"{base}_confidence.value"), Path(f"{base}_time.value")


def write_vot_lt(folder: Path, run: SequenceRun) -> list[Path]:
    regions, confidence, times = vot_lt_paths(folder, run.name)
    start = run.init_frame
    write_lines(
        regions, (UNKNOWN if i < start else INIT if i == start else box_line(b) for i, b in enumerate(run.boxes))
    )
    write_lines(confidence, ("" if i <= start else f"{s:.6f}" for i, s in enumerate(run.scores)))
    write_lines(times, ("" if math.isnan(t) else f"{t:.6f}" for t in run.times))
    return [regions, confidence, times]


def read_vot_lt(folder: Path, name: str, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames, 4) boxes (NaN on special frames: init, unknown, failure) and (frames,) confidences (NaN if empty)."""
    regions_path, confidence_path, _ = vot_lt_paths(folder, name)
    rows = []
    for number, line in enumerate(_lines(require_results(regions_path, name)), start=1):
        values = parse_floats(split_fields(line), f"{regions_path}:{number}")
        if len(values) == 1 and values[0] in (0, 1, 2):
            rows.append([math.nan] * 4)
        elif len(values) == 4:
            rows.append(values)
        else:
            raise ValueError(f"{regions_path}:{number}: expected x,y,w,h or a special code 0/1/2 (sequence {name!r})")
    boxes = check_boxes(np.array(rows, dtype=np.float64).reshape(-1, 4), frames, regions_path, name)
    confidence = []
    for number, line in enumerate(_lines(require_results(confidence_path, name)), start=1):
        confidence.append(parse_floats([line], f"{confidence_path}:{number}")[0] if line else math.nan)
    if len(confidence) != frames:
        raise ValueError(f"{confidence_path}: {len(confidence)} confidences but sequence {name!r} has {frames} frames")
    return boxes, np.array(confidence)


def _lines(path: Path) -> list[str]:
    """Stripped lines, blank ones kept (an empty confidence is a missing one)."""
    return [line.strip() for line in path.read_text().splitlines()]
