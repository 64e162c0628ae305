"""Tracking pairs synthesised by copy-paste: real object cut-outs animated over real photos.

Cut-outs come from an instance segmentation set (COCO format); backgrounds are that set's
own images. Each pair renders only frames 0 and t of a synthetic clip in which the target
moves, turns, changes scale, is occluded, leaves and re-enters, next to distractors of
its own category and of its own instance.
"""

from typing import Any, Optional
from typing import Sequence as SequenceType

import numpy as np

from ..data.copy_paste import CutOut, make_cutouts, sample_pair, scene_config
from ..data.records import ImageRecord
from .samples import PairSample


def cutouts_from_records(records: SequenceType[ImageRecord]) -> list[CutOut]:
    """One cut-out per non-crowd instance with a mask; the key is (image id, instance index)."""
    items = []
    for record in records:
        instances = [k for k in range(len(record)) if record.iscrowd[k] == 0 and record.masks.segmentations[k] is not None]
        if not instances:
            continue
        image = record.image()
        for k in instances:
            items.append((image, record.masks[k], int(record.labels[k]), (record.image_id, k)))
    return make_cutouts(items)


class CopyPastePairs:
    """Pair source (see stream.py) drawing synthetic (template, search) frames."""

    def __init__(
        self,
        records: SequenceType[ImageRecord],
        size: SequenceType[int] = (320, 480),
        max_gap: int = 50,
        scene: Optional[dict[str, Any]] = None,
    ) -> None:
        self.records = list(records)
        self.cutouts = cutouts_from_records(self.records)
        if not self.cutouts:
            raise ValueError("copy-paste needs instance masks: none of the images has a usable one")
        self.config = scene_config(scene or {}, (int(size[0]), int(size[1])))
        self.max_gap = max_gap

    def _background(self, rng: np.random.Generator) -> np.ndarray:
        return self.records[rng.integers(len(self.records))].image()

    def sample(self, rng: np.random.Generator) -> PairSample:
        clip = sample_pair(self.cutouts, self._background, rng, max_gap=self.max_gap, config=self.config)
        target = clip.target
        x, y, w, h = target.boxes[0]
        template_box = np.array([x, y, x + w, y + h], dtype=np.float64)
        if not target.present[1]:
            return PairSample(clip.frames[0], template_box, clip.frames[1], None, None)
        x, y, w, h = target.boxes[1]
        return PairSample(clip.frames[0], template_box, clip.frames[1], np.array([x, y, x + w, y + h], dtype=np.float64), target.masks[1])
