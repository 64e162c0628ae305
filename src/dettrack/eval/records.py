"""One tracker's run over one sequence, and the per-sequence JSON that records it.

The JSON (<results>/sequences/<sequence name>.json) is written last, after the official
result files, so its presence marks a finished sequence for resuming; the report reads its
scores, presence flags and timings.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..io_utils import atomic_write

FORMAT = 1


@dataclass(eq=False)
class SequenceRun:
    """Per frame: box (x, y, w, h, 0-based pixels; NaN before `init_frame`), score, present, seconds.

    The init frame holds the given box with score 1; its time is the init time.
    """

    name: str
    init_frame: int
    boxes: np.ndarray
    scores: np.ndarray
    present: np.ndarray
    times: np.ndarray

    @classmethod
    def empty(cls, name: str, frames: int) -> "SequenceRun":
        return cls(
            name,
            -1,
            np.full((frames, 4), np.nan),
            np.zeros(frames),
            np.zeros(frames, dtype=bool),
            np.full(frames, np.nan),
        )

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def fps(self) -> float:
        """Frames per second over the tracked frames (the init frame excluded); NaN when there are none."""
        tracked = self.times[self.init_frame + 1 :]
        return len(tracked) / float(tracked.sum()) if len(tracked) and tracked.sum() > 0 else math.nan


def sequence_json(folder: Path, name: str) -> Path:
    """Where the JSON of sequence `name` lives under a tracker's results folder."""
    return Path(folder) / "sequences" / f"{name}.json"


def write_run(folder: Path, run: SequenceRun, tracker: str, benchmark: str) -> Path:
    """Write the run's JSON atomically and return its path."""
    path = sequence_json(folder, run.name)
    data = {
        "format": FORMAT,
        "sequence": run.name,
        "tracker": tracker,
        "benchmark": benchmark,
        "frames": len(run),
        "init_frame": run.init_frame,
        "fps": None if math.isnan(run.fps) else round(run.fps, 3),
        "boxes": [None if np.isnan(b).any() else [round(float(v), 3) for v in b] for b in run.boxes],
        "scores": [round(float(s), 6) for s in run.scores],
        "present": [bool(p) for p in run.present],
        "times": [None if np.isnan(t) else round(float(t), 6) for t in run.times],
    }
    with atomic_write(path) as f:
        json.dump(data, f)
    return path


def read_run(path: Path) -> dict[str, Any]:
    """A run's JSON as a dict (ValueError naming the file when it is not one)."""
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or "frames" not in data:
        raise ValueError(f"{path}: not a dettrack per-sequence result (format {FORMAT})")
    return data


def is_finished(folder: Path, name: str, frames: int) -> bool:
    """Whether sequence `name` already has a complete run of `frames` frames in `folder`."""
    path = sequence_json(folder, name)
    if not path.is_file():
        return False
    try:
        return read_run(path)["frames"] == frames
    except ValueError:
        return False
