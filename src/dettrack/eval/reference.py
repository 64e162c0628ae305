"""The published NanoDet-m run by its own runtime (onnxruntime), decoded as its README states it.

The reference the light family is checked against: letterbox with OpenCV, the ONNX file on
onnxruntime, NumPy decoding of the distance distributions and OpenCV's per-class NMS. Nothing
here is shared with the PyTorch model, so agreement means something.
"""

import os
from typing import Union

import cv2
import numpy as np

MEAN_BGR = np.array([103.53, 116.28, 123.675], np.float32)
STD_BGR = np.array([57.375, 57.12, 58.395], np.float32)
OUTPUTS = {8: ("792", "795"), 16: ("814", "817"), 32: ("836", "839")}  # stride: (class scores, distances)
SIZE = 416


def letterbox(rgb: np.ndarray, size: int = SIZE) -> tuple[np.ndarray, float, tuple[int, int]]:
    """The image letterboxed into size x size (aspect kept, centred, zero padding): (canvas, scale, (left, top))."""
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    nh, nw = round(h * scale), round(w * scale)
    canvas = np.zeros((size, size, 3), np.uint8)
    top, left = (size - nh) // 2, (size - nw) // 2
    canvas[top : top + nh, left : left + nw] = cv2.resize(rgb, (nw, nh))
    return canvas, scale, (left, top)


class NanoDetReference:
    """NanoDet-m on onnxruntime: raw outputs of a letterboxed RGB canvas, or detections of any image."""

    def __init__(self, path: Union[str, os.PathLike]) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # the file lists its weights as graph inputs; onnxruntime warns about each
        options.intra_op_num_threads = 2
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.names = [o.name for o in self.session.get_outputs()]

    def raw(self, canvas: np.ndarray) -> dict[str, np.ndarray]:
        """The six outputs by name for a SIZE x SIZE RGB uint8 canvas (the file takes BGR)."""
        bgr = (canvas[..., ::-1].astype(np.float32) - MEAN_BGR) / STD_BGR
        return dict(zip(self.names, self.session.run(None, {"input.1": bgr.transpose(2, 0, 1)[None]})))

    def detect(
        self, rgb: np.ndarray, score_threshold: float = 0.05, iou_threshold: float = 0.6, max_detections: int = 100
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(boxes xyxy in the image's pixels, scores, class indices 0..79) of an RGB image, best first."""
        canvas, scale, (left, top) = letterbox(rgb)
        boxes, scores, labels = decode(self.raw(canvas), score_threshold, iou_threshold, max_detections)
        boxes = (boxes - np.array([left, top, left, top], np.float32)) / scale
        h, w = rgb.shape[:2]
        return np.clip(boxes, 0, [w, h, w, h]), scores, labels


def decode(
    outputs: dict[str, np.ndarray], score_threshold: float = 0.05, iou_threshold: float = 0.6, max_detections: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes (canvas pixels), scores and class indices from the raw outputs: softmax over each side's
    8 bins, expectation times the stride from the cell centre ((x + 0.5) s, (y + 0.5) s), per-class NMS."""
    boxes, scores = [], []
    for stride, (cls_name, reg_name) in OUTPUTS.items():
        cls, reg = outputs[cls_name][0], outputs[reg_name][0]
        n = int(round(np.sqrt(len(cls))))
        ys, xs = np.divmod(np.arange(len(cls)), n)
        cx, cy = (xs + 0.5) * stride, (ys + 0.5) * stride
        logits = reg.reshape(-1, 4, 8)
        p = np.exp(logits - logits.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        d = (p * np.arange(8)).sum(-1) * stride
        boxes.append(np.stack([cx - d[:, 0], cy - d[:, 1], cx + d[:, 2], cy + d[:, 3]], 1))
        scores.append(cls)
    boxes, scores = np.concatenate(boxes), np.concatenate(scores)
    cell, label = np.nonzero(scores > score_threshold)
    b, s = boxes[cell].astype(np.float32), scores[cell, label]
    if len(b) == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
    xywh = np.concatenate([b[:, :2], b[:, 2:] - b[:, :2]], 1)
    keep = np.asarray(cv2.dnn.NMSBoxesBatched(xywh.tolist(), s.tolist(), label.tolist(), score_threshold, iou_threshold)).reshape(-1)
    order = keep[np.argsort(-s[keep], kind="stable")][:max_detections]
    return b[order], s[order], label[order]
