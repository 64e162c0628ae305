"""Tracking outputs written while a video streams through.

Into one folder: per object `<id>/boxes.txt` (the best-guess x,y,w,h on every frame from the
object's first frame, GOT-10k/OTB style), `<id>/present.txt` (1 where the tracker says the
object is in view, 0 where it says it is gone) and `<id>/scores.txt` (the confidence), one
`tracks.json` (each object's `mask_index` is its pixel value in the masks), DAVIS-style palette PNG
masks in `masks/` (pixel value = the object's palette index, painted only where the object is
present; a palette holds 255 objects, so from the frame on which a 256th object starts, a long
run's mask PNGs are 16-bit grayscale with the same values),
`overlay.mp4`, and `mot.txt` (MOTChallenge's `frame,id,x,y,w,h,conf,-1,-1,-1` for every present
answer, frames 1-based). Presence is given apart from the box, as GOT-10k's absence labels and
OxUvA's predictions do, so that a box the flag gets wrong is never lost. Text outputs and the
video grow under hidden *.partial names and take their final names in `close()` (an object's own
files when its track ends: `end_object`, so that a long stream holds files open for its live
objects only), so an interrupted run never leaves a file that looks complete; each mask PNG is
written atomically.
"""

import json
import os
import queue
import threading
import warnings
from functools import partial
from pathlib import Path
from typing import IO, Callable, Hashable, Mapping, Optional

import numpy as np
from PIL import Image

from ..io_utils import atomic_write
from ..types import TrackResult
from .draw import colour_of, draw_results, mask_extent
from .writer import VideoWriter

OUTPUTS = ("boxes", "json", "masks", "overlay", "mot")
# palette of the mask PNGs: index k gets the overlay's colour of the k-th object, 0 is black
_PALETTE = [0, 0, 0] + [c for index in range(1, 256) for c in colour_of(index)]
PALETTE_OBJECTS = 255  # objects a palette PNG holds; after them, 16-bit grayscale PNGs
MASK_OBJECTS = 65535  # objects a 16-bit mask PNG holds
QUEUED_FRAMES = 4  # frames a background writer may hold before add() waits for it


class TrackWriter:
    """Collects per-frame results of many objects and writes them in the formats above.

    background: write in a thread of its own, so that drawing and encoding the overlay and the mask
    PNGs overlap the tracking of the next frames (add() then only queues the frame; close() waits
    for every queued frame, and raises what failed in the thread, leaving the outputs unfinalised).
    """

    def __init__(self, folder: Path, fps: float = 25.0, outputs: tuple[str, ...] = OUTPUTS, background: bool = False) -> None:
        unknown = set(outputs) - set(OUTPUTS)
        if unknown:
            raise ValueError(f"unknown output(s) {', '.join(sorted(unknown))}; choose from {', '.join(OUTPUTS)}")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.outputs = outputs
        self.palette: dict[Hashable, int] = {}
        self.first_frame: dict[Hashable, int] = {}
        self.names: dict[Hashable, str] = {}
        self._text: dict[tuple[Hashable, str], tuple[Path, IO]] = {}
        self._json_path = self.folder / ".tracks.json.partial"
        self._json: Optional[IO] = self._json_path.open("w") if "json" in outputs else None
        self._json_rows = 0
        self.video = VideoWriter(self.folder / "overlay.mp4", fps) if "overlay" in outputs else None
        self._mot_path = self.folder / ".mot.txt.partial"
        self._mot: Optional[IO] = self._mot_path.open("w") if "mot" in outputs else None
        self.frames = 0
        self._names_used: set[str] = set()  # the started objects' ids as text (their folders' names)
        self._ended: set[Hashable] = set()
        self._finished: list[Path] = []  # ended objects' finalised text files
        self._queue: Optional[queue.Queue] = queue.Queue(QUEUED_FRAMES) if background else None
        self._worker: Optional[threading.Thread] = None
        self._error: Optional[BaseException] = None

    def start_object(self, obj_id: Hashable, frame_index: int, name: str = "") -> None:
        """Register an object on its init frame (its palette index, first frame and class name, if any)."""
        if str(obj_id) in self._names_used:
            raise ValueError(f"frame {frame_index}: object {obj_id!r} was started before, or another whose id reads the same (its outputs are named by it)")
        if "masks" in self.outputs and len(self.palette) == MASK_OBJECTS:
            raise ValueError(f"frame {frame_index}: object {obj_id!r} is number {MASK_OBJECTS + 1}, more than 16-bit mask PNGs hold; switch the masks off (--no-masks) for longer runs")
        if "masks" in self.outputs and len(self.palette) == PALETTE_OBJECTS:
            warnings.warn(f"object {obj_id!r} is number {PALETTE_OBJECTS + 1}: palette PNGs hold {PALETTE_OBJECTS}, so the mask PNGs from frame {frame_index} on are 16-bit grayscale (the same pixel values)")
        self.palette[obj_id] = len(self.palette) + 1
        self._names_used.add(str(obj_id))
        self.first_frame[obj_id] = frame_index
        if name:
            self.names[obj_id] = name

    def add(self, frame_index: int, frame: np.ndarray, results: Mapping[Hashable, TrackResult]) -> None:
        """Write one frame's results (queue them, with a background writer)."""
        ended = self._ended.intersection(results)
        if ended:
            raise ValueError(f"frame {frame_index}: object(s) {', '.join(map(repr, ended))} ended before (end_object); an ended track has no more rows")
        # the objects' colours and names as they are now: start_object may add to them meanwhile
        self._do(partial(self._write, frame_index, frame, dict(results), dict(self.palette), dict(self.names)))

    def end_object(self, obj_id: Hashable) -> None:
        """The object's track ended (it gets no more rows): its text files are finalised now, after
        the frames added before."""
        self._ended.add(obj_id)
        self._do(partial(self._finish_object, obj_id))

    def _do(self, work: Callable[[], None]) -> None:
        """Run `work` now, or queue it for the background writer (which then runs it in order)."""
        self._raise_failure()
        if self._queue is None:
            work()
            return
        if self._worker is None:
            self._worker = threading.Thread(target=self._drain, name="dettrack-writer", daemon=True)
            self._worker.start()
        self._queue.put(work)

    def _drain(self) -> None:
        """The background writer: queued work in order until close() queues None; after a failure
        it keeps taking work (so that add() never waits forever) without doing it."""
        assert self._queue is not None
        while (work := self._queue.get()) is not None:
            if self._error is None:
                try:
                    work()
                except BaseException as err:  # raised again in the caller's thread
                    self._error = err

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise self._error

    def _write(
        self, frame_index: int, frame: np.ndarray, results: Mapping[Hashable, TrackResult], palette: Mapping[Hashable, int], names: Mapping[Hashable, str]
    ) -> None:
        for obj_id, result in results.items():
            if result.mask is not None and result.mask.shape != frame.shape[:2]:
                shape = "x".join(str(v) for v in result.mask.shape[::-1])
                raise ValueError(f"frame {frame_index}: the mask of object {obj_id!r} is {shape}, the frame {frame.shape[1]}x{frame.shape[0]}")
        for obj_id, result in results.items():
            self._box_line(obj_id, result)
        if self._json is not None:
            row = {
                "frame": frame_index,
                "objects": [
                    {"id": obj_id, "box": [round(v, 2) for v in r.box], "score": round(r.score, 4), "present": r.present}
                    | ({"class": names[obj_id]} if obj_id in names else {})
                    | {"mask_index": palette[obj_id]}
                    for obj_id, r in results.items()
                ],
            }
            self._json.write(("[\n" if self._json_rows == 0 else ",\n") + json.dumps(row))
            self._json_rows += 1
        extents = {obj_id: mask_extent(r.mask) for obj_id, r in results.items() if r.present and r.mask is not None}
        if "masks" in self.outputs:
            self._mask_png(frame_index, frame.shape[:2], extents, results, palette)
        if self.video is not None:
            self.video.write(draw_results(frame, results, palette, names, extents))
        if self._mot is not None:
            for obj_id, r in results.items():
                if r.present:
                    number = obj_id if isinstance(obj_id, int) else palette[obj_id]
                    self._mot.write(f"{frame_index + 1},{number},{','.join(f'{v:.2f}' for v in r.box)},{r.score:.4f},-1,-1,-1\n")
        self.frames += 1

    def close(self) -> list[Path]:
        """Finalise every output (rename partial files); returns the written paths. With a background
        writer, first waits for the frames it still holds."""
        if self._worker is not None:
            assert self._queue is not None
            self._queue.put(None)
            self._worker.join()
            self._worker = None
        self._raise_failure()
        for obj_id in list(dict.fromkeys(obj_id for obj_id, _ in self._text)):
            self._finish_object(obj_id)
        written = self._finished
        if self._json is not None:
            self._json.write("]\n" if self._json_rows else "[]\n")
            self._json.close()
            final = self.folder / "tracks.json"
            os.replace(self._json_path, final)
            written.append(final)
        if self._mot is not None:
            self._mot.close()
            final = self.folder / "mot.txt"
            os.replace(self._mot_path, final)
            written.append(final)
        if self.video is not None and self.video.frames:
            written.append(self.video.close())
        elif self.video is not None:
            self.video.abort()
        return written

    def summary(self) -> str:
        """What the outputs hold and where, in words (after close())."""
        parts = []
        objects = len(self.palette)
        if "boxes" in self.outputs and objects:
            parts.append(f"boxes.txt, present.txt and scores.txt of {objects} object(s) in {self.folder}/<id>/")
        if "json" in self.outputs:
            parts.append(f"{self.folder / 'tracks.json'}")
        if "masks" in self.outputs:
            parts.append(f"{self.frames} mask PNG(s) in {self.folder / 'masks'}/")
        if self.video is not None and self.video.frames:
            parts.append(f"{self.folder / 'overlay.mp4'}")
        if self._mot is not None:
            parts.append(f"{self.folder / 'mot.txt'}")
        return "; ".join(parts) if parts else "nothing (every output switched off)"

    def _box_line(self, obj_id: Hashable, result: TrackResult) -> None:
        if "boxes" not in self.outputs:
            return
        self._handle(obj_id, "boxes").write(",".join(f"{v:.2f}" for v in result.box) + "\n")
        self._handle(obj_id, "present").write(f"{int(result.present)}\n")
        self._handle(obj_id, "scores").write(f"{result.score:.4f}\n")

    def _finish_object(self, obj_id: Hashable) -> None:
        """Close the object's text files and give them their final names."""
        for kind in ("boxes", "present", "scores"):
            if (obj_id, kind) in self._text:
                path, handle = self._text.pop((obj_id, kind))
                handle.close()
                final = self.folder / str(obj_id) / f"{kind}.txt"
                os.replace(path, final)
                self._finished.append(final)

    def _handle(self, obj_id: Hashable, kind: str) -> IO:
        key = (obj_id, kind)
        if key not in self._text:
            folder = self.folder / str(obj_id)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f".{kind}.txt.partial"
            self._text[key] = (path, path.open("w"))
        return self._text[key][1]

    def _mask_png(
        self,
        frame_index: int,
        size: tuple[int, int],
        extents: Mapping[Hashable, Optional[tuple[slice, slice]]],
        results: Mapping[Hashable, TrackResult],
        palette: Mapping[Hashable, int],
    ) -> None:
        """The frame's palette PNG: each present object's mask (its extent in `extents`) in its palette
        index; once more objects have started than a palette holds, a 16-bit grayscale PNG."""
        wide = len(palette) > PALETTE_OBJECTS
        label = np.zeros(size, np.uint16 if wide else np.uint8)
        for obj_id, extent in extents.items():
            if extent is not None:
                label[extent][results[obj_id].mask[extent]] = palette[obj_id]
        image = Image.fromarray(label)
        if not wide:
            image.putpalette(_PALETTE)
        with atomic_write(self.folder / "masks" / f"{frame_index:05d}.png", "wb") as f:
            image.save(f, format="PNG", compress_level=1)  # palette masks compress well even at the fastest level
