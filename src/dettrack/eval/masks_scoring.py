"""J and F of mask results (palette PNGs) against DAVIS or YouTube-VOS ground truth.

DAVIS (davis2017-evaluation): every frame but the first and the last, per object; DAVIS 2016
results are binary (any non-zero label is the object). YouTube-VOS: the annotated frames of each
object after its first (the official numbers come from its evaluation server; these are the same
J and F on the annotated frames, e.g. of a training split held out for validation). Each result
PNG is read once, whatever the number of objects.
"""

from pathlib import Path

import numpy as np

from ..data import Sequence
from .benchmarks import Benchmark
from .formats import mask_path, read_label_png
from .metrics import DavisScores, davis_f, davis_j, davis_statistics


def davis_results(benchmark: Benchmark, sequences: list[Sequence], folder: Path) -> DavisScores:
    """Per-object J and F statistics (keys '<video>_<object id>') of the results in `folder`."""
    videos: dict[str, list[Sequence]] = {}
    for seq in sequences:
        videos.setdefault(seq.video, []).append(seq)
    j, f = {}, {}
    for video, objects in videos.items():
        per_frame = _video_scores(benchmark, video, objects, folder)
        for seq in objects:
            key = f"{video}_{seq.object_id or 1}"
            j_values, f_values = per_frame[seq.name]
            if not j_values:
                raise ValueError(f"sequence {seq.name!r} has no scored frame (DAVIS needs three frames or more)")
            j[key], f[key] = davis_statistics(j_values), davis_statistics(f_values)
    return DavisScores(j, f)


def _video_scores(
    benchmark: Benchmark, video: str, objects: list[Sequence], folder: Path
) -> dict[str, tuple[list[float], list[float]]]:
    """Per object of one video, the J and F of each scored frame, in frame order."""
    longest = max(objects, key=len)
    shape = longest.frames.size()
    scored: dict[int, list[tuple[Sequence, int]]] = {}
    for seq in objects:
        offset = len(longest) - len(seq)
        for i in _scored_frames(benchmark, seq):
            scored.setdefault(offset + i, []).append((seq, i))
    out: dict[str, tuple[list[float], list[float]]] = {seq.name: ([], []) for seq in objects}
    for t in sorted(scored):
        labels = read_label_png(mask_path(benchmark.format, folder, video, longest.frames.paths[t]), shape, video)
        for seq, i in scored[t]:
            gt = seq.mask(i)
            pred = labels != 0 if benchmark.name == "davis2016" else labels == (seq.object_id or 1)
            out[seq.name][0].append(float(davis_j(gt, pred, name=seq.name)[0]))
            out[seq.name][1].append(float(davis_f(gt, pred, name=seq.name)[0]))
    return out


def _scored_frames(benchmark: Benchmark, seq: Sequence) -> list[int]:
    """Frame indices of `seq` that count: DAVIS drops the first and the last; YouTube-VOS keeps the
    annotated frames after the first."""
    if benchmark.format == "davis":
        return list(range(1, len(seq) - 1))
    return [int(i) for i in np.flatnonzero(seq.labelled) if i > 0]
