"""Tracking jobs of the web page: queued, run one at a time in a worker thread, watched while they run.

A job writes the same outputs as `dettrack track` (commands/track.py's write_tracks) into its own
folder and keeps each frame's boxes, scores and present flags in memory, so that the page can draw
the score over time and the overlay of any finished frame while the rest is still being tracked.
"""

import json
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable, Mapping, Optional

import numpy as np
from PIL import Image

from ..io_utils import atomic_write
from ..tracking.settings import ClassTracking
from ..types import TrackResult
from ..video import FrameSource
from ..video.draw import colour_of, draw_results

Box = tuple[float, float, float, float]


@dataclass
class FrameRow:
    """One tracked frame: per object id its box (x, y, w, h), score and present flag."""

    frame: int
    objects: dict[int, tuple[Box, float, bool]]

    def to_json(self) -> dict[str, Any]:
        return {"frame": self.frame, "objects": {str(k): {"box": [round(v, 2) for v in b], "score": round(s, 4), "present": p} for k, (b, s, p) in self.objects.items()}}


@dataclass
class TrackingJob:
    """Objects (ids 0, 1, ... in the order given), and with `classes` every object of those classes
    the detector finds (ids after them), tracked over frames [start, end) of one video into `out`."""

    video: Path
    out: Path
    boxes: list[Box]
    start: int
    end: int
    classes: tuple[str, ...] = ()
    state: str = "queued"
    error: Optional[str] = None
    rows: list[FrameRow] = field(default_factory=list)
    started: Optional[float] = None
    finished: Optional[float] = None
    stop_requested: threading.Event = field(default_factory=threading.Event)
    order: dict[int, int] = field(default_factory=dict)  # id -> palette index, in order of appearance (as TrackWriter)
    names: dict[int, str] = field(default_factory=dict)  # the class of each track the detector started

    @property
    def total(self) -> int:
        return self.end - self.start

    @property
    def colours(self) -> dict[int, tuple[int, int, int]]:
        """Each object's colour in the overlay and the mask PNGs (TrackWriter numbers objects 1, 2, ...
        in order of appearance; the given boxes first)."""
        order = {k: k + 1 for k in range(len(self.boxes))} | self.order
        return {k: colour_of(index) for k, index in order.items()}

    def row(self, frame: int) -> Optional[FrameRow]:
        index = frame - self.start
        rows = self.rows  # appended by the worker; a list append is atomic
        return rows[index] if 0 <= index < len(rows) else None

    def status(self, since: int = 0) -> dict[str, Any]:
        """What the page shows: state, progress, speed, the error, and the rows from index `since` on."""
        rows = self.rows
        elapsed = ((self.finished or time.perf_counter()) - self.started) if self.started else 0.0
        return {
            "state": self.state, "done": len(rows), "total": self.total, "start": self.start, "error": self.error,
            "fps": round(len(rows) / elapsed, 1) if elapsed > 0 else None,
            "colours": {str(k): c for k, c in self.colours.items()},
            "rows": [r.to_json() for r in rows[since:]],
            "files": self.files() if self.state in ("done", "stopped") else [],
        }

    def files(self) -> list[str]:
        """The downloads this job offers (results.zip holds every output)."""
        names = [n for n in ("tracks.json", "overlay.mp4") if (self.out / n).is_file()]
        return [*names, "results.zip"] if names else []

    def overlay(self, frame: np.ndarray, index: int) -> Optional[np.ndarray]:
        """`frame` (frame `index` of the video) drawn as overlay.mp4 shows it, or None while not tracked."""
        row = self.row(index)
        if row is None:
            return None
        label = _mask_label(self.out / "masks" / f"{index:05d}.png")
        order = self.order
        results = {
            k: TrackResult(box, score, present, None if label is None else label == order[k])
            for k, (box, score, present) in row.objects.items()
        }
        return draw_results(frame, results, order, self.names)


def _mask_label(path: Path) -> Optional[np.ndarray]:
    try:
        with Image.open(path) as image:
            return np.asarray(image)
    except FileNotFoundError:
        return None


class JobRunner:
    """One worker thread that runs queued jobs in turn with a shared model (one job at a time: the
    CPU's cores go to one tracker; the model's lock is shared with the page's detections)."""

    def __init__(self, model: Any, model_lock: threading.Lock) -> None:
        self.model = model
        self.model_lock = model_lock
        self._queue: "queue.Queue[Optional[TrackingJob]]" = queue.Queue()
        self._current: Optional[TrackingJob] = None
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._work, name="dettrack-app-jobs", daemon=True)
        self._thread.start()

    def submit(self, job: TrackingJob) -> None:
        self._queue.put(job)

    def close(self, timeout: float = 60.0) -> None:
        """Stop the job that runs now and drop the queued ones; returns once the running job has
        finalised its outputs (complete up to its last frame) or after `timeout` seconds."""
        self._closing.set()
        if self._current is not None:
            self._current.stop_requested.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            if job.stop_requested.is_set() or self._closing.is_set():
                job.state = "stopped"
                continue
            self._current = job
            self._run(job)
            self._current = None

    def _run(self, job: TrackingJob) -> None:
        from ..commands.track import write_tracks

        job.state, job.started = "running", time.perf_counter()

        def progress(frame: int, results: Mapping[Hashable, TrackResult], names: Mapping[Hashable, str]) -> bool:
            for k in results:
                job.order.setdefault(int(k), len(job.order) + 1)  # type: ignore[arg-type]
                if k in names and names[k]:
                    job.names[int(k)] = names[k]  # type: ignore[arg-type]
            job.rows.append(FrameRow(frame, {int(k): (tuple(r.box), float(r.score), bool(r.present)) for k, r in results.items()}))  # type: ignore[misc]
            return not job.stop_requested.is_set()

        try:
            source = FrameSource(job.video, job.start, job.end)
            classes = ClassTracking(job.classes) if job.classes else None
            prompts = {job.start: dict(enumerate(job.boxes))} if job.boxes else {}
            write_tracks(self.model, source, prompts, job.out, {}, progress=progress, lock=self.model_lock, classes=classes)
            job.state = "stopped" if job.stop_requested.is_set() else "done"
        except (ValueError, FileNotFoundError) as err:
            job.error, job.state = str(err), "failed"
        except Exception as err:  # a bug must reach the page, not end the worker thread
            job.error, job.state = f"{type(err).__name__}: {err}", "failed"
            traceback.print_exc()
        finally:
            job.finished = time.perf_counter()
            with atomic_write(job.out / "job.json") as f:  # what was asked and how it ended, beside the outputs
                json.dump({"video": str(job.video), "start": job.start, "end": job.end, "boxes": job.boxes, "classes": job.classes, "state": job.state, "error": job.error}, f)
