"""Overlap and centre error of (x, y, w, h) boxes, in the conventions of the OTB-family toolkits."""

import numpy as np


def clip_to_image(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """Bound boxes to the image as the GOT-10k toolkit does.

    x and y are clipped to [0, W] and [0, H] first, then w and h to what is left of the image from the
    clipped corner; a box starting left of / above the image is therefore shifted, not cropped.
    """
    x = np.clip(boxes[:, 0], 0, width)
    y = np.clip(boxes[:, 1], 0, height)
    w = np.clip(boxes[:, 2], 0, width - x)
    h = np.clip(boxes[:, 3], 0, height - y)
    return np.stack([x, y, w, h], axis=1)


def iou_xywh(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise intersection over union in [0, 1]; 0 where the union is empty."""
    iw = np.maximum(np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0)
    ih = np.maximum(np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0)
    inter = iw * ih
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return np.clip(iou, 0.0, 1.0)


def centres(boxes: np.ndarray) -> np.ndarray:
    """Box centres in the 1-based MATLAB pixel convention of OTB: x + (w - 1) / 2."""
    return boxes[:, :2] + (boxes[:, 2:] - 1) / 2


def centre_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Euclidean distance between predicted and ground-truth centres, in pixels."""
    return np.linalg.norm(centres(pred) - centres(gt), axis=1)


def normalised_centre_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """LaSOT's centre error: the x and y offsets divided by the ground truth's width and height (at least 1)."""
    scale = np.maximum(gt[:, 2:], 1.0)
    return np.linalg.norm((centres(pred) - centres(gt)) / scale, axis=1)
