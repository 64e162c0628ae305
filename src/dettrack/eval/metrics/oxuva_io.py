"""Readers for the OxUvA CSV formats (boxes are normalised xmin, xmax, ymin, ymax).

- annotations: video, object, class_id, class, contains_cut, always_visible, frame, present|absent, box
- tasks:       video, object, init_frame, last_frame, box (the initial box)
- predictions: video, object, frame, present, score, box (optional header; frame may be named frame_num)

The first annotated frame of a track is its initialisation and is not scored; the remaining
annotated frames (1 Hz) are the labels.
"""

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TrackKey = tuple[str, str]

_TRUE = {"t", "true", "y", "yes", "1", "present"}
_FALSE = {"f", "false", "n", "no", "0", "absent"}
_PREDICTION_HEADER = ["video", "object", "frame", "present", "score", "xmin", "xmax", "ymin", "ymax"]


@dataclass(frozen=True, eq=False)
class OxuvaTrack:
    """Ground truth of one track: its initial frame and box, and the labelled frames after it."""

    video: str
    object: str
    init_frame: int
    init_box: np.ndarray
    frames: np.ndarray
    present: np.ndarray
    boxes: np.ndarray


@dataclass(frozen=True, eq=False)
class OxuvaTask:
    """One tracking task: where to start, with which box, and the last frame of interest."""

    video: str
    object: str
    init_frame: int
    last_frame: int
    init_box: np.ndarray


@dataclass(frozen=True, eq=False)
class OxuvaPredictions:
    """A tracker's output for one track, sorted by frame; boxes may be NaN where present is False."""

    frames: np.ndarray
    present: np.ndarray
    score: np.ndarray
    boxes: np.ndarray


def read_oxuva_annotations(path: str | Path) -> dict[TrackKey, OxuvaTrack]:
    """Read an annotation CSV (e.g. annotations/dev.csv) into tracks keyed by (video, object)."""
    rows: dict[TrackKey, list[tuple[int, bool, np.ndarray]]] = {}
    for where, row in _rows(path, 12):
        present = _presence(row[7], where, strict=True)
        box = _box(row[8:12], where, required=present)
        rows.setdefault((row[0], row[1]), []).append((_int(row[6], "frame", where), present, box))
    tracks = {}
    for (video, obj), frames in rows.items():
        frames.sort(key=lambda f: f[0])
        times = np.array([f[0] for f in frames], dtype=np.int64)
        _check_unique(times, f"track {video} {obj} in {path}")
        if len(frames) < 2:
            raise ValueError(f"track {video} {obj} in {path} has no labelled frame after its first")
        if not frames[0][1]:
            raise ValueError(f"track {video} {obj} in {path}: the object is absent in its first (init) frame")
        tracks[(video, obj)] = OxuvaTrack(
            video=video,
            object=obj,
            init_frame=int(times[0]),
            init_box=frames[0][2],
            frames=times[1:],
            present=np.array([f[1] for f in frames[1:]], dtype=bool),
            boxes=np.stack([np.nan_to_num(f[2]) for f in frames[1:]]),
        )
    return tracks


def read_oxuva_tasks(path: str | Path) -> dict[TrackKey, OxuvaTask]:
    """Read a task CSV (e.g. tasks/dev.csv) keyed by (video, object)."""
    tasks = {}
    for where, row in _rows(path, 8):
        init_frame, last_frame = _int(row[2], "init_frame", where), _int(row[3], "last_frame", where)
        if last_frame < init_frame:
            raise ValueError(f"{where}: last_frame {last_frame} is before init_frame {init_frame}")
        if (row[0], row[1]) in tasks:
            raise ValueError(f"{where}: duplicate task {row[0]} {row[1]}")
        tasks[(row[0], row[1])] = OxuvaTask(row[0], row[1], init_frame, last_frame, _box(row[4:8], where, True))
    return tasks


def read_oxuva_predictions(path: str | Path) -> dict[TrackKey, OxuvaPredictions]:
    """Read a prediction CSV (one or more tracks) keyed by (video, object).

    `present` accepts true/false, 1/0, yes/no and present/absent; the score must be a number;
    present rows need a finite box, absent rows may leave the box empty.
    """
    rows: dict[TrackKey, list[tuple[int, bool, float, np.ndarray]]] = {}
    for where, row in _rows(path, 9, header=_PREDICTION_HEADER):
        present = _presence(row[3], where, strict=False)
        score = _float(row[4], "score", where)
        if math.isnan(score):
            raise ValueError(f"{where}: score is NaN")
        frame = _int(row[2], "frame", where)
        rows.setdefault((row[0], row[1]), []).append((frame, present, score, _box(row[5:9], where, present)))
    predictions = {}
    for (video, obj), preds in rows.items():
        preds.sort(key=lambda p: p[0])
        frames = np.array([p[0] for p in preds], dtype=np.int64)
        _check_unique(frames, f"predictions for {video} {obj} in {path}")
        predictions[(video, obj)] = OxuvaPredictions(
            frames=frames,
            present=np.array([p[1] for p in preds], dtype=bool),
            score=np.array([p[2] for p in preds], dtype=np.float64),
            boxes=np.stack([p[3] for p in preds]),
        )
    return predictions


def _rows(path: str | Path, width: int, header: list[str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """Non-empty CSV rows with their 'file:line' location; each must have exactly `width` fields."""
    with open(path, newline="") as f:
        for number, row in enumerate(csv.reader(f), start=1):
            if not row:
                continue
            where = f"{path}:{number}"
            if len(row) != width:
                raise ValueError(f"{where}: expected {width} comma-separated fields, got {len(row)}")
            row = [field.strip() for field in row]
            if number == 1 and header and [c.replace("frame_num", "frame") for c in row] == header:
                continue
            yield where, row


def _presence(text: str, where: str, strict: bool) -> bool:
    value = text.lower()
    if strict and value not in ("present", "absent"):
        raise ValueError(f"{where}: presence must be 'present' or 'absent', got {text!r}")
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{where}: cannot read presence {text!r}")


def _box(fields: list[str], where: str, required: bool) -> np.ndarray:
    """xmin, xmax, ymin, ymax; finite and not inverted when `required`, else NaN if left empty."""
    if not required and not any(fields):
        return np.full(4, np.nan)
    box = np.array([_float(v, "box coordinate", where) for v in fields])
    if required and not np.isfinite(box).all():
        raise ValueError(f"{where}: box {fields} is not finite")
    if box[1] < box[0] or box[3] < box[2]:
        raise ValueError(f"{where}: box has negative size (xmax < xmin or ymax < ymin): {fields}")
    return box


def _int(text: str, what: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{where}: {what} must be an integer, got {text!r}") from None


def _float(text: str, what: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: {what} must be a number, got {text!r}") from None


def _check_unique(frames: np.ndarray, what: str) -> None:
    duplicates = frames[1:][np.diff(frames) == 0]
    if duplicates.size:
        raise ValueError(f"{what}: frame {duplicates[0]} appears twice")
