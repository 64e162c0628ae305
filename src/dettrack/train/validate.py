"""Periodic validation: track held-out sequences and report AO and SR0.5 (GOT-10k style)."""

from typing import Sequence as SequenceType

import numpy as np

from ..data.records import Sequence
from ..eval.metrics.overlap import iou_xywh
from ..model.interface import TrackingModel
from ..tracking.session import open_session


def track_sequence(model: TrackingModel, seq: Sequence, frame_step: int = 1, max_frames: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Track from the first frame where the object is present; returns (frame indices, predicted boxes)."""
    start = int(np.flatnonzero(seq.present & seq.labelled)[0])
    indices = np.arange(start, len(seq), frame_step)
    if max_frames:
        indices = indices[:max_frames]
    session = open_session(model)
    session.add(seq.frame(int(indices[0])), seq.boxes[indices[0]], 0)
    boxes = [seq.boxes[indices[0]]]
    for index in indices[1:]:
        boxes.append(session.update(seq.frame(int(index)))[0].box)
    return indices, np.asarray(boxes, dtype=np.float64)


def validate_sequences(model: TrackingModel, sequences: SequenceType[Sequence], frame_step: int = 5, max_frames: int = 60) -> dict[str, float]:
    """AO and SR0.5 pooled over the tracked, labelled, present frames (the init frame excluded)."""
    ious = []
    for seq in sequences:
        indices, boxes = track_sequence(model, seq, frame_step, max_frames)
        scored = (seq.present[indices] & seq.labelled[indices])[1:]
        ious.append(iou_xywh(boxes[1:][scored], seq.boxes[indices][1:][scored]))
    pooled = np.concatenate(ious) if ious else np.zeros(0)
    if len(pooled) == 0:
        return {"AO": float("nan"), "SR50": float("nan")}
    return {"AO": float(pooled.mean()), "SR50": float((pooled > 0.5).mean())}
