"""OxUvA predictions (oxuva toolkit layout): one CSV per track, <video>_<object>.csv, no header.

Rows: video, object, frame_num, present (true/false), score, xmin, xmax, ymin, ymax with the
box normalised by the frame size; one row per frame after the init frame, frame numbers as
in the dataset (30 fps, absolute).
"""

from pathlib import Path

import numpy as np

from ...data import Sequence
from ...data.images import frame_number
from ..metrics.oxuva_io import OxuvaPredictions, read_oxuva_predictions
from ..records import SequenceRun
from .text import require_results, write_lines


def track_key(name: str) -> tuple[str, str]:
    """(video, object) of an OxUvA sequence name 'video/object'."""
    video, _, obj = name.partition("/")
    if not obj:
        raise ValueError(f"OxUvA sequence names are 'video/object', got {name!r}")
    return video, obj


def oxuva_path(folder: Path, name: str) -> Path:
    video, obj = track_key(name)
    return folder / f"{video}_{obj}.csv"


def write_oxuva(folder: Path, seq: Sequence, run: SequenceRun) -> list[Path]:
    video, obj = track_key(run.name)
    height, width = seq.frames.size()
    scale = np.array([width, width, height, height], dtype=np.float64)
    rows = []
    for i in range(run.init_frame + 1, len(run)):
        x, y, w, h = run.boxes[i]
        box = np.array([x, x + w, y, y + h]) / scale
        coords = ",".join(f"{v:.6f}" for v in box) if np.isfinite(box).all() else ",,,"
        present = "true" if run.present[i] else "false"
        rows.append(f"{video},{obj},{frame_number(seq.frames.paths[i])},{present},{run.scores[i]:.6f},{coords}")
    return [write_lines(oxuva_path(folder, run.name), rows)]


def read_oxuva(folder: Path, name: str) -> OxuvaPredictions:
    """The predictions of one track from its CSV (errors name the file and line)."""
    path = require_results(oxuva_path(folder, name), name)
    predictions = read_oxuva_predictions(path)
    key = track_key(name)
    if key not in predictions:
        raise ValueError(f"{path}: no rows for track {key[0]} {key[1]} (sequence {name!r})")
    return predictions[key]
