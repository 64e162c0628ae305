"""Run trackers over a benchmark and write their results in the benchmark's official format.

Every tracker is initialised on the first frame where its object is present, with the
ground-truth box, and updated on every later frame. Results go to <out>/<tracker>/ (see
dettrack.eval.formats) with one JSON per sequence (scores, presence, timings).

- Resumable: a sequence whose JSON exists (written last, atomically) is skipped.
- Shardable: `shard=(i, n)` runs every n-th unit of work starting at i (sorted by name), so n
  processes (e.g. torchrun's RANK / WORLD_SIZE) share a benchmark without overlap.
- Mask benchmarks (DAVIS, YouTube-VOS) run a video at a time, all its objects frame by frame,
  and write one palette PNG per frame holding every object (where masks overlap, the more
  confident object wins). Trackers without masks (OpenCV's) contribute their filled box.
"""

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np
from tqdm import tqdm

from ..data import Sequence
from ..data.images import PathLike
from ..types import TrackResult
from .benchmarks import Benchmark, group_units, load_sequences
from .formats import mask_path, write_label_png, write_sequence
from .peers import PeerTracker, make_tracker, resolve_model
from .records import SequenceRun, is_finished, write_run

if TYPE_CHECKING:
    from ..model.interface import TrackingModel

TrackerFactory = Callable[[], PeerTracker]


@dataclass
class RunSummary:
    """What one tracker's pass did: sequences run now and sequences found finished."""

    tracker: str
    folder: Path
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_shard(text: Optional[str]) -> tuple[int, int]:
    """'i/n' (0 <= i < n) -> (i, n); None -> torchrun's (RANK, WORLD_SIZE) when set, else (0, 1)."""
    if text is None:
        return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    index, _, count = text.partition("/")
    try:
        shard = int(index), int(count)
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected i/n, e.g. 0/4") from None
    if not 0 <= shard[0] < shard[1]:
        raise ValueError(f"--shard {text!r}: need 0 <= i < n")
    return shard


def shard_units(units: dict[str, list[Sequence]], shard: tuple[int, int]) -> dict[str, list[Sequence]]:
    """Every n-th unit (by sorted key) starting at i: the shards partition the units."""
    index, count = shard
    return {key: units[key] for key in sorted(units)[index::count]}


def run_tracker(
    benchmark: Benchmark,
    sequences: list[Sequence],
    name: str,
    make: TrackerFactory,
    out: PathLike,
    shard: tuple[int, int] = (0, 1),
    quiet: bool = False,
) -> RunSummary:
    """Run the trackers made by `make` (one per object) over this shard's sequences into out/<name>/."""
    folder = Path(out) / name
    summary = RunSummary(name, folder)
    units = shard_units(group_units(benchmark, sequences), shard)
    for key, unit in tqdm(units.items(), desc=f"{name} on {benchmark.name}", unit="seq", disable=quiet):
        if all(is_finished(folder, seq.name, len(seq)) for seq in unit):
            summary.skipped.extend(seq.name for seq in unit)
            continue
        runs = run_unit(benchmark, unit, make, folder, key, quiet)
        for seq, run in zip(unit, runs):
            write_sequence(benchmark, folder, seq, run)
            write_run(folder, run, name, benchmark.name)
            summary.done.append(seq.name)
    return summary


def run_unit(
    benchmark: Benchmark, unit: list[Sequence], make: TrackerFactory, folder: Path, key: str, quiet: bool = True
) -> list[SequenceRun]:
    """Track every object of `unit` (sequences of one video) frame by frame; mask PNGs are written as it goes."""
    video = max(unit, key=len)
    offsets = [_offset(video, seq) for seq in unit]
    starts = [_first_present(seq) for seq in unit]
    runs = [SequenceRun.empty(seq.name, len(seq)) for seq in unit]
    trackers: list[Optional[PeerTracker]] = [None] * len(unit)
    for t in tqdm(range(len(video)), desc=key, unit="frame", leave=False, disable=quiet):
        frame = video.frame(t)
        layers = []
        for k, seq in enumerate(unit):
            i = t - offsets[k]
            if i < starts[k]:
                continue
            if i == starts[k]:
                trackers[k] = make()
                _init(trackers[k], frame, seq, i, runs[k])
                result = TrackResult(tuple(seq.boxes[i]), 1.0, True, seq.mask(i))  # the given object
            else:
                result = _update(trackers[k], frame, i, runs[k])
            if benchmark.masks and result.present:
                mask = _box_mask(result.box, frame.shape[:2]) if result.mask is None else result.mask
                layers.append((result.score, seq.object_id or 1, mask))
        if benchmark.masks:
            path = mask_path(benchmark.format, folder, video.video, video.frames.paths[t])
            write_label_png(path, _paint(layers, frame.shape[:2]))
    return runs


def evaluate(
    benchmark: Benchmark,
    root: PathLike,
    trackers: Iterable[str],
    out: PathLike,
    split: Optional[str] = None,
    names: Optional[Iterable[str]] = None,
    shard: tuple[int, int] = (0, 1),
    quiet: bool = False,
    model: Union["TrackingModel", str, None] = None,
    device: str = "cpu",
    **options: Any,
) -> list[RunSummary]:
    """Run each named tracker (see peers.TRACKERS) on the benchmark; `options` go to make_tracker."""
    sequences = load_sequences(benchmark, root, split, names)
    trackers = list(dict.fromkeys(trackers))
    if any(t.startswith("dettrack") for t in trackers):
        model = resolve_model(model, device)
    summaries = []
    for name in trackers:
        make_tracker(name, model=model, device=device, **options)  # bad options fail before any work

        def make(name: str = name) -> PeerTracker:
            return make_tracker(name, model=model, device=device, **options)

        summaries.append(run_tracker(benchmark, sequences, name, make, out, shard, quiet))
    return summaries


def _offset(video: Sequence, seq: Sequence) -> int:
    """Where `seq` starts in the frames of `video` (objects of one video may start late, e.g. YouTube-VOS)."""
    offset = len(video) - len(seq)
    if video.frames.paths[offset] != seq.frames.paths[0]:
        raise ValueError(f"sequence {seq.name!r} is not a run of the frames of video {video.video!r}")
    return offset


def _first_present(seq: Sequence) -> int:
    present = np.flatnonzero(seq.present)
    if present.size == 0:
        raise ValueError(f"sequence {seq.name!r}: the object is never present, so there is no box to start from")
    return int(present[0])


def _init(tracker: PeerTracker, frame: np.ndarray, seq: Sequence, i: int, run: SequenceRun) -> None:
    """Initialise on the ground-truth box; the init frame's answer is that box, with score 1."""
    started = time.perf_counter()
    tracker.init(frame, seq.boxes[i])
    run.times[i] = time.perf_counter() - started
    run.init_frame, run.boxes[i], run.scores[i], run.present[i] = i, seq.boxes[i], 1.0, True


def _update(tracker: PeerTracker, frame: np.ndarray, i: int, run: SequenceRun) -> TrackResult:
    """One tracked frame, recorded in `run`."""
    started = time.perf_counter()
    result = tracker.update(frame)
    run.times[i] = time.perf_counter() - started
    run.boxes[i], run.scores[i], run.present[i] = result.box, result.score, result.present
    return result


def _box_mask(box: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The pixels whose centres lie inside an (x, y, w, h) box."""
    x, y, w, h = (float(v) for v in box)
    mask = np.zeros(shape, dtype=bool)
    top, bottom, left, right = (max(round(v), 0) for v in (y, y + h, x, x + w))
    mask[top:bottom, left:right] = True
    return mask


def _paint(layers: list[tuple[float, int, np.ndarray]], shape: tuple[int, int]) -> np.ndarray:
    """A label image from (score, object id, mask) layers; the most confident object wins overlaps."""
    labels = np.zeros(shape, dtype=np.uint8)
    for _, object_id, mask in sorted(layers, key=lambda layer: layer[0]):
        labels[mask] = object_id
    return labels
