"""OxUvA long-term tracking: <root>/tasks/<split>.csv (video, object, init_frame, last_frame,
initial box), <root>/annotations/<split>.csv (1 Hz labels: present/absent and a box) and
frames <root>/images/<split>/<video>/000000.jpeg numbered by frame at 30 fps.

Boxes in the CSVs are normalised xmin, xmax, ymin, ymax; the Sequence's pixel boxes use the
first frame's size (read on first access, `seq.track.normalised` keeps the [0, 1] boxes).
One Sequence '<video>/<object>' per task, frames init_frame..last_frame; only frames with
a label (the task's first frame and the annotated ones) are `labelled`. Frame paths follow
the naming scheme and are not listed, so reading works without the images; a missing
image is an error when that frame is loaded. Test annotations are not public: without the
annotation file only the first frame is labelled. The CSV parsing is in oxuva_csv.py.
"""

import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from ..images import PathLike
from ..lazy import Frames, NumberedPaths
from ..records import Sequence
from ..textfiles import require_dir, require_file
from ..tracks import NormalisedTrack, box_track
from .oxuva_csv import OxuvaTask, OxuvaTrack, read_oxuva_annotations, read_oxuva_tasks


def read_oxuva(root: PathLike, split: Optional[str] = None) -> list[Sequence]:
    """One Sequence per task of the split ('dev' by default, or 'test')."""
    split = split or "dev"
    root = require_dir(root, "dataset root")
    tasks_path = require_file(root / "tasks" / f"{split}.csv", f"OxUvA {split} task list")
    tasks = read_oxuva_tasks(tasks_path)
    if not tasks:
        raise ValueError(f"{tasks_path}: no tasks (empty split)")
    annotation_path = root / "annotations" / f"{split}.csv"
    labels = read_oxuva_annotations(annotation_path) if annotation_path.is_file() else None
    sequences, outside, unlabelled = [], 0, 0
    for key in sorted(tasks):
        track = None if labels is None else labels.get(key)
        unlabelled += labels is not None and track is None
        sequence, dropped = _sequence(root / "images" / split, tasks[key], track, str(annotation_path))
        outside += dropped
        sequences.append(sequence)
    if outside:
        warnings.warn(f"{annotation_path}: ignored {outside} labels outside their task's frame range", stacklevel=2)
    if unlabelled:
        warnings.warn(
            f"{annotation_path}: {unlabelled} tasks have no annotations; only their first frame is labelled", stacklevel=2
        )
    return sequences


def _sequence(images: Path, task: OxuvaTask, track: Optional[OxuvaTrack], source: str) -> tuple[Sequence, int]:
    """The task's Sequence and the number of its labels that fall outside the task's frames."""
    n = task.last_frame - task.init_frame + 1
    rows = np.full((n, 4), np.nan)
    present = np.zeros(n, dtype=bool)
    labelled = np.zeros(n, dtype=bool)
    rows[0], present[0], labelled[0] = _xywh(task.init_box), True, True
    outside = 0
    if track is not None:
        label_frames, visibility = [track.init_frame, *track.frames], [True, *track.present]
        for frame, visible, box in zip(label_frames, visibility, [track.init_box, *track.boxes], strict=True):
            index = frame - task.init_frame
            if not 0 <= index < n:
                outside += 1
                continue
            labelled[index], present[index] = True, visible
            if visible:
                rows[index] = _xywh(box)
    frames = Frames(NumberedPaths(images / task.video, "{:06d}.jpeg", range(task.init_frame, task.last_frame + 1)))
    normalised = box_track(rows, source, visible=present, labelled=labelled)
    sequence = Sequence(
        name=f"{task.video}/{task.object}",
        frames=frames,
        track=NormalisedTrack(normalised, frames),
        video=task.video,
    )
    return sequence, outside


def _xywh(box: np.ndarray) -> np.ndarray:
    """Normalised xmin, xmax, ymin, ymax -> x, y, w, h."""
    xmin, xmax, ymin, ymax = box
    return np.array([xmin, ymin, xmax - xmin, ymax - ymin])
