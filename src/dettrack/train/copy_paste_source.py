"""Tracking pairs synthesised by copy-paste: real object cut-outs animated over real photos.

Cut-outs come from an instance segmentation set (COCO format); backgrounds are that set's
own images. Region cut-outs (optional) are arbitrary patches of those images, of random
polygonal shape: things no category names (a piece of a building, a patch of ground, part of an
object), so that the tracker learns to follow whatever the template shows, not only COCO objects. Each pair renders only frames 0 and t of a synthetic clip in which the target
moves, turns, changes scale, is occluded, leaves and re-enters, next to distractors of
its own category and of its own instance.
"""

from typing import Any, Optional
from typing import Sequence as SequenceType

import cv2
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


REGION_CATEGORY = -1  # every region cut-out's category: other regions are its same-category distractors


def region_cutouts(records: SequenceType[ImageRecord], per_image: int, rng: np.random.Generator) -> list[CutOut]:
    """`per_image` random polygonal regions of each image (a convex polygon of 5 to 9 corners inside a
    box 6% to 35% of the image's shorter side), as cut-outs of REGION_CATEGORY."""
    items = []
    for record in records:
        image = record.image()
        height, width = image.shape[:2]
        for k in range(per_image):
            side = rng.uniform(0.06, 0.35) * min(height, width)
            w, h = side * np.exp(rng.uniform(-0.5, 0.5)), side * np.exp(rng.uniform(-0.5, 0.5))
            x0, y0 = rng.uniform(0, max(width - w, 1)), rng.uniform(0, max(height - h, 1))
            count = int(rng.integers(5, 10))
            points = np.stack([x0 + rng.uniform(0, w, count), y0 + rng.uniform(0, h, count)], 1).astype(np.float32)
            mask = np.zeros((height, width), np.uint8)
            cv2.fillConvexPoly(mask, cv2.convexHull(points).astype(np.int32), 1)
            items.append((image, mask.astype(bool), REGION_CATEGORY, ("region", record.image_id, k)))
    return make_cutouts(items)


class CopyPastePairs:
    """Pair source (see stream.py) drawing synthetic (template, search) frames."""

    def __init__(
        self,
        records: SequenceType[ImageRecord],
        size: SequenceType[int] = (320, 480),
        max_gap: int = 50,
        scene: Optional[dict[str, Any]] = None,
        regions: int = 0,
    ) -> None:
        self.records = list(records)
        self.cutouts = cutouts_from_records(self.records)
        if not self.cutouts:
            raise ValueError("copy-paste needs instance masks: none of the images has a usable one")
        if regions:  # the same regions on every run of a recipe
            self.cutouts += region_cutouts(self.records, regions, np.random.default_rng(0))
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
