"""Every object of some classes: the detector starts the tracks, each object's template follows it.

The network is a detector and a tracker at once. On the first frame and every `every` frames
after, it detects the classes asked for; a detection that no live track explains starts a track
of its own (the session's template, with its box and mask), a detection that re-finds a track
reported absent moves that track's search there (it keeps its id), and a track absent for
`max_absent` frames in a row ends. Between detections the templates alone follow the objects,
each told apart from the others by its own discriminative template, not by box overlap.

A detection that overlaps a live track's answer by at least match_iou is that track's object (two
detections of one object, a whole and a part, start nothing); a detection that overlaps no track
re-finds the absent track whose verifier finds it most like its object, when that identity clears
the presence threshold; the rest start tracks, best score first, none on a box that overlaps one
started on the same frame by match_iou.
"""

from dataclasses import dataclass, field
from typing import Hashable, Iterable, Iterator, Mapping, Optional, Sequence

import numpy as np

from ..boxes import iou_matrix
from ..types import Frame, TrackResult
from .session import TemplateTracker
from .settings import ClassTracking


@dataclass
class _Life:
    name: str  # the class the detector gave when the track started ('' for a given box)
    absent: int = 0  # frames in a row reported absent


@dataclass
class ClassTracker:
    """Tracks of every object of `tracking.classes` in one stream, on a TemplateTracker.

    Objects may also be given by box (`start`), as in the session; detector-started tracks take
    integer ids after the largest integer id so far (1, 2, 3, ... in order of appearance when no
    box is given). `names` holds each track's class name, `ended` the ids whose tracks ended.

    Example:
        tracker = ClassTracker(open_session(model), ClassTracking(("person",), every=5))
        for index, results in tracker.track(frames):
            ...   # {id: TrackResult} of the live tracks
    """

    session: TemplateTracker
    tracking: ClassTracking
    names: dict[Hashable, str] = field(default_factory=dict)
    ended: list[Hashable] = field(default_factory=list)
    _lives: dict[Hashable, _Life] = field(default_factory=dict)
    _next: int = 1

    def __post_init__(self) -> None:
        from ..detection import class_ids

        self._classes = sorted(class_ids(self.tracking.classes, self.session.model))

    def track(self, frames: Iterable[Frame], prompts: Optional[Mapping[int, Mapping[Hashable, Sequence[float]]]] = None) -> Iterator[tuple[int, dict[Hashable, TrackResult]]]:
        """Stream a video: yields (frame index, {id: result}) for the tracks live on each frame;
        prompts: objects given by box, {frame index: {id: (x, y, w, h)}}, as the session's track()."""
        prompts = prompts or {}
        for index, frame in enumerate(frames):
            yield index, self.step(frame, prompts.get(index, {}))

    def step(self, frame: Frame, given: Mapping[Hashable, Sequence[float]] = {}) -> dict[Hashable, TrackResult]:
        """The next frame: follow the live tracks, start the given objects, and on detection frames
        start, re-find and end tracks."""
        results = self.session.update(frame)
        results.update(self.start(frame, given))
        if self.session.frame_index % self.tracking.every == 0:
            results.update(self._detect(frame, results))
        self._end_absent(results)
        self._merge(results)
        return results

    def start(self, frame: Frame, boxes: Mapping[Hashable, Sequence[float]], name: str = "") -> dict[Hashable, TrackResult]:
        """Start tracks of objects given by box on `frame` (the session's start())."""
        for obj_id in boxes:
            self._lives[obj_id] = _Life(name)
            self.names[obj_id] = name
            if isinstance(obj_id, int):
                self._next = max(self._next, obj_id + 1)
        return self.session.start(frame, boxes) if boxes else {}

    def _detect(self, frame: Frame, results: dict[Hashable, TrackResult]) -> dict[Hashable, TrackResult]:
        """Detections of the classes on this frame: matched to live tracks, re-finding absent ones, starting new ones."""
        from ..detection import detect

        found = detect(self.session.model, frame, score=self.tracking.min_score, classes=self._classes, masks=False)
        boxes = [tuple(float(v) for v in b) for b in found.boxes]
        if not boxes:
            return {}
        ids = [i for i in results if i in self._lives]
        overlap = iou_matrix([results[i].box for i in ids], boxes) if ids else np.zeros((0, len(boxes)))
        left = [k for k in range(len(boxes)) if not (overlap[:, k] >= self.tracking.match_iou).any()]
        lost = [i for i in ids if not results[i].present]
        refound: dict[int, Hashable] = {}
        if left and lost:
            identity = self.session.identities(frame, [boxes[k] for k in left], lost).numpy()
            threshold = self.session.settings.presence_threshold
            for row, col in _greedy(identity, threshold):
                refound[left[col]] = lost[row]
        for k, obj_id in refound.items():
            self.session.relocate(obj_id, boxes[k])
        new: dict[int, tuple[float, ...]] = {}
        for k in left:  # detections come best first
            if k in refound or (new and (iou_matrix(list(new.values()), [boxes[k]]) >= self.tracking.match_iou).any()):
                continue
            new[self._next] = boxes[k]
            self.names[self._next] = found.names[k]
            self._lives[self._next] = _Life(found.names[k])
            self._next += 1
        return self.session.start(frame, new) if new else {}

    def _merge(self, results: dict[Hashable, TrackResult]) -> None:
        """Two present tracks on one object (overlapping by merge_iou): the younger ends."""
        if self.tracking.merge_iou >= 1:
            return
        ids = [i for i in self._lives if i in results and results[i].present]  # oldest first
        for obj_id in _younger_duplicates(ids, [results[i].box for i in ids], self.tracking.merge_iou):
            self.session.remove(obj_id)
            del self._lives[obj_id], results[obj_id]
            self.ended.append(obj_id)

    def _end_absent(self, results: dict[Hashable, TrackResult]) -> None:
        for obj_id, result in results.items():
            life = self._lives.get(obj_id)
            if life is None:
                continue
            life.absent = 0 if result.present else life.absent + 1
            if life.absent >= self.tracking.max_absent:
                self.session.remove(obj_id)
                del self._lives[obj_id]
                self.ended.append(obj_id)


def _younger_duplicates(ids: list[Hashable], boxes: list[Sequence[float]], minimum: float) -> set[Hashable]:
    """Of tracks (in order of age) whose boxes overlap by at least `minimum`, all but the oldest."""
    overlap = iou_matrix(boxes, boxes)
    out: set[Hashable] = set()
    for j in range(len(ids)):
        if any(overlap[i, j] >= minimum and ids[i] not in out for i in range(j)):
            out.add(ids[j])
    return out


def _greedy(scores: np.ndarray, minimum: float) -> list[tuple[int, int]]:
    """One-to-one (row, column) pairs, the largest scores first, each at least `minimum`."""
    pairs = []
    scores = scores.copy()
    while scores.size and scores.max() >= minimum:
        row, col = np.unravel_index(int(scores.argmax()), scores.shape)
        pairs.append((int(row), int(col)))
        scores[row, :], scores[:, col] = -1, -1
    return pairs
