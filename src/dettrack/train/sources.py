"""Training sources built from dataset records: frame pairs from videos, detection images.

Each source draws a sample from a numpy Generator handed to it, so the whole stream
stays a pure function of (seed, iteration, rank).
"""

import warnings
from typing import Optional, Sequence as SequenceType

import numpy as np

from ..data.records import ImageRecord, Sequence
from .samples import DetectionSample, PairSample, crop_search


def xywh_to_xyxy(box: np.ndarray) -> np.ndarray:
    return np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]], dtype=np.float64)


class SequencePairs:
    """(template frame, search frame) pairs from annotated videos, at most `max_gap` frames apart.

    The template frame is a frame where the object is present; the search frame may show
    it absent (an empty target teaches the tracker to report absence). Only labelled
    frames are used (sparse annotations such as OxUvA's 1 Hz labels).
    """

    def __init__(self, sequences: SequenceType[Sequence], max_gap: int = 50) -> None:
        self.sequences = []
        for seq in sequences:
            usable = np.flatnonzero(seq.present & seq.labelled & (seq.boxes[:, 2] >= 2) & (seq.boxes[:, 3] >= 2))
            if len(usable) >= 1 and int(seq.labelled.sum()) >= 2:
                self.sequences.append((seq, usable, np.flatnonzero(seq.labelled)))
        skipped = len(sequences) - len(self.sequences)
        if skipped:
            warnings.warn(f"{skipped} of {len(sequences)} sequences have fewer than 2 labelled frames with the object; not used for pairs")
        if not self.sequences:
            raise ValueError("no sequence has two labelled frames with the object present")
        self.max_gap = max_gap

    def __len__(self) -> int:
        return len(self.sequences)

    def sample(self, rng: np.random.Generator) -> PairSample:
        seq, usable, labelled = self.sequences[rng.integers(len(self.sequences))]
        t0 = int(usable[rng.integers(len(usable))])
        near = labelled[(np.abs(labelled - t0) <= self.max_gap) & (labelled != t0)]
        t1 = int(near[rng.integers(len(near))]) if len(near) else t0
        template, search = seq.frame(t0), seq.frame(t1)
        present = bool(seq.present[t1])
        mask = seq.mask(t1) if present else None
        return PairSample(
            template,
            xywh_to_xyxy(seq.boxes[t0]),
            search,
            xywh_to_xyxy(seq.boxes[t1]) if present else None,
            None if mask is None or not mask.any() else mask,
        )


class DetectionImages:
    """Images with their non-crowd instances (boxes, category ids, masks where every instance has one)."""

    def __init__(self, records: SequenceType[ImageRecord], min_size: float = 2.0) -> None:
        self.records = []
        for record in records:
            keep = np.flatnonzero((record.iscrowd == 0) & (record.boxes[:, 2] >= min_size) & (record.boxes[:, 3] >= min_size))
            if len(keep):
                self.records.append((record, keep))
        if not self.records:
            raise ValueError("no image has a usable (non-crowd, non-tiny) instance")

    def __len__(self) -> int:
        return len(self.records)

    def sample(self, rng: np.random.Generator) -> DetectionSample:
        record, keep = self.records[rng.integers(len(self.records))]
        masks: Optional[np.ndarray] = None
        decoded = [record.masks[k] for k in keep]
        if all(m is not None for m in decoded):
            masks = np.stack(decoded)
        boxes = np.stack([xywh_to_xyxy(record.boxes[k]) for k in keep])
        return DetectionSample(record.image(), boxes, record.labels[keep].astype(np.int64), masks)


class ImagePairs:
    """Pairs made from still images: the template is the image, the search frame a random
    region around one instance (other instances stay in as distractors). Every instance
    segmentation set becomes tracking data this way."""

    def __init__(self, records: SequenceType[ImageRecord], min_size: float = 8.0) -> None:
        self.instances = [
            (record, k)
            for record in records
            for k in range(len(record))
            if record.iscrowd[k] == 0 and record.boxes[k, 2] >= min_size and record.boxes[k, 3] >= min_size
        ]
        if not self.instances:
            raise ValueError(f"no instance of at least {min_size} px in the images")

    def __len__(self) -> int:
        return len(self.instances)

    def sample(self, rng: np.random.Generator) -> PairSample:
        record, k = self.instances[rng.integers(len(self.instances))]
        image = record.image()
        mask = record.masks[k]
        box = xywh_to_xyxy(record.boxes[k])
        return crop_search(PairSample(image, box, image, box, mask), rng, context=(1.5, 6.0))
