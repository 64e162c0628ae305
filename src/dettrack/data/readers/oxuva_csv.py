"""Readers for the OxUvA dataset's CSV files (boxes are normalised xmin, xmax, ymin, ymax).

- annotations: video, object, class_id, class, contains_cut, always_visible, frame, present|absent, box
- tasks:       video, object, init_frame, last_frame, box (the initial box)

The field parsers (csv_rows, presence, normalised_box, ...) serve the predictions format too
(dettrack.eval.formats.oxuva).

The first annotated frame of a track is its initialisation and is not scored; the remaining
annotated frames (1 Hz) are the labels.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TrackKey = tuple[str, str]

_TRUE = {"t", "true", "y", "yes", "1", "present"}
_FALSE = {"f", "false", "n", "no", "0", "absent"}


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


def read_oxuva_annotations(path: str | Path) -> dict[TrackKey, OxuvaTrack]:
    """Read an annotation CSV (e.g. annotations/dev.csv) into tracks keyed by (video, object)."""
    rows: dict[TrackKey, list[tuple[int, bool, np.ndarray]]] = {}
    for where, row in csv_rows(path, 12):
        present = presence(row[7], where, strict=True)
        box = normalised_box(row[8:12], where, required=present)
        rows.setdefault((row[0], row[1]), []).append((integer(row[6], "frame", where), present, box))
    tracks = {}
    for (video, obj), frames in rows.items():
        frames.sort(key=lambda f: f[0])
        times = np.array([f[0] for f in frames], dtype=np.int64)
        check_unique(times, f"track {video} {obj} in {path}")
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
    for where, row in csv_rows(path, 8):
        init_frame, last_frame = integer(row[2], "init_frame", where), integer(row[3], "last_frame", where)
        if last_frame < init_frame:
            raise ValueError(f"{where}: last_frame {last_frame} is before init_frame {init_frame}")
        if (row[0], row[1]) in tasks:
            raise ValueError(f"{where}: duplicate task {row[0]} {row[1]}")
        tasks[(row[0], row[1])] = OxuvaTask(row[0], row[1], init_frame, last_frame, normalised_box(row[4:8], where, True))
    return tasks


def csv_rows(path: str | Path, width: int, header: list[str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """Non-empty CSV rows with their 'file:line' location; each must have exactly `width` fields."""
    with open(path, newline="") as f:
        for line, row in enumerate(csv.reader(f), start=1):
            if not row:
                continue
            where = f"{path}:{line}"
            if len(row) != width:
                raise ValueError(f"{where}: expected {width} comma-separated fields, got {len(row)}")
            row = [field.strip() for field in row]
            if line == 1 and header and [c.replace("frame_num", "frame") for c in row] == header:
                continue
            yield where, row


def presence(text: str, where: str, strict: bool) -> bool:
    """present/absent (strict), or also true/false, yes/no, 1/0."""
    value = text.lower()
    if strict and value not in ("present", "absent"):
        raise ValueError(f"{where}: presence must be 'present' or 'absent', got {text!r}")
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{where}: cannot read presence {text!r}")


def normalised_box(fields: list[str], where: str, required: bool) -> np.ndarray:
    """xmin, xmax, ymin, ymax; finite and not inverted when `required`, else NaN if left empty."""
    if not required and not any(fields):
        return np.full(4, np.nan)
    box = np.array([number(v, "box coordinate", where) for v in fields])
    if required and not np.isfinite(box).all():
        raise ValueError(f"{where}: box {fields} is not finite")
    if box[1] < box[0] or box[3] < box[2]:
        raise ValueError(f"{where}: box has negative size (xmax < xmin or ymax < ymin): {fields}")
    return box


def integer(text: str, what: str, where: str) -> int:
    """An int field; the error names the field and where it is."""
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{where}: {what} must be an integer, got {text!r}") from None


def number(text: str, what: str, where: str) -> float:
    """A float field; the error names the field and where it is."""
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: {what} must be a number, got {text!r}") from None


def check_unique(frames: np.ndarray, what: str) -> None:
    """Refuse a sorted frame list that holds a frame twice."""
    duplicates = frames[1:][np.diff(frames) == 0]
    if duplicates.size:
        raise ValueError(f"{what}: frame {duplicates[0]} appears twice")
