"""OxUvA predictions (oxuva toolkit layout): one CSV per track, <video>_<object>.csv, no header.

Rows: video, object, frame_num, present (true/false), score, xmin, xmax, ymin, ymax with the
box normalised by the frame size; one row per frame after the init frame, frame numbers as
in the dataset (30 fps, absolute). Reading accepts an optional header, frame or frame_num.
"""

import math
from pathlib import Path

import numpy as np

from ...data import Sequence
from ...data.images import frame_number
from ...data.readers.oxuva_csv import check_unique, csv_rows, integer, normalised_box, number, presence
from ..metrics.oxuva import OxuvaPredictions, TrackKey
from ..records import SequenceRun
from .text import require_results, write_lines

_PREDICTION_HEADER = ["video", "object", "frame", "present", "score", "xmin", "xmax", "ymin", "ymax"]


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


def read_oxuva_predictions(path: str | Path) -> dict[TrackKey, OxuvaPredictions]:
    """Read a prediction CSV (one or more tracks) keyed by (video, object).

    `present` accepts true/false, 1/0, yes/no and present/absent; the score must be a number;
    present rows need a finite box, absent rows may leave the box empty.
    """
    rows: dict[TrackKey, list[tuple[int, bool, float, np.ndarray]]] = {}
    for where, row in csv_rows(path, 9, header=_PREDICTION_HEADER):
        present = presence(row[3], where, strict=False)
        score = number(row[4], "score", where)
        if math.isnan(score):
            raise ValueError(f"{where}: score is NaN")
        frame = integer(row[2], "frame", where)
        rows.setdefault((row[0], row[1]), []).append((frame, present, score, normalised_box(row[5:9], where, present)))
    predictions = {}
    for (video, obj), preds in rows.items():
        preds.sort(key=lambda p: p[0])
        frames = np.array([p[0] for p in preds], dtype=np.int64)
        check_unique(frames, f"predictions for {video} {obj} in {path}")
        predictions[(video, obj)] = OxuvaPredictions(
            frames=frames,
            present=np.array([p[1] for p in preds], dtype=bool),
            score=np.array([p[2] for p in preds], dtype=np.float64),
            boxes=np.stack([p[3] for p in preds]),
        )
    return predictions
