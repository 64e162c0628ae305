"""`dettrack detect`: the same network as a COCO-style instance detector on images, folders and videos."""

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils
from tqdm import tqdm

from ..io_utils import atomic_write
from ..types import DETECTION_SCORE, Detections
from ..video import FrameSource, VideoWriter
from ..video.draw import Instance, colour_of, draw_instances
from .track import source_argument

if TYPE_CHECKING:
    from ..model.interface import TrackingModel


def detections_json(found: Detections) -> list[dict]:
    """One image's detections as JSON rows: box (x, y, w, h), label, name, score, mask as COCO RLE."""
    rows = []
    for box, label, name, score, mask in zip(found.boxes, found.labels, found.names, found.scores, found.masks):
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        rows.append({
            "box": [round(float(v), 2) for v in box], "label": int(label), "name": name, "score": round(float(score), 4),
            "segmentation": {"size": rle["size"], "counts": rle["counts"].decode("ascii")},
        })
    return rows


def annotate(frame: np.ndarray, found: Detections) -> np.ndarray:
    """The frame with every detection's mask, box and 'name score' label drawn."""
    instances = [
        Instance(box, mask, f"{name} {score:.2f}", colour_of(int(label)))
        for box, label, name, score, mask in zip(found.boxes, found.labels, found.names, found.scores, found.masks)
    ]
    return draw_instances(frame, instances)


def check(args: argparse.Namespace) -> None:
    """The input and its frame range, before torch is imported."""
    FrameSource(source_argument(args.input), args.start, args.end, same_size=False)


def run(args: argparse.Namespace, model: "TrackingModel") -> int:
    import torch

    from ..detection import class_ids, detect

    model = model.to(memory_format=torch.channels_last)  # type: ignore[attr-defined]  # faster convolutions, the same detections
    class_ids(args.classes, model)  # unknown names fail here, before anything is written
    source = FrameSource(source_argument(args.input), args.start, args.end, same_size=False)
    out = Path(args.out)
    started = time.perf_counter()
    rows, objects = [], 0
    video: Optional[VideoWriter] = None if source.files else VideoWriter(out / "detections.mp4", source.fps)
    frames = tqdm(source, total=source.count, desc="detecting", unit="frame", disable=args.quiet)
    try:
        for index, frame in enumerate(frames, args.start):
            found = detect(model, frame, args.score, args.classes)
            objects += len(found)
            row = {"frame": index, **({"file": source.files[index].name} if source.files else {}), "detections": detections_json(found)}
            if source.files:
                with atomic_write(out / f"{source.files[index].stem}_detections.png", "wb") as f:
                    Image.fromarray(annotate(frame, found)).save(f, format="PNG")
            else:
                video.write(annotate(frame, found))
            rows.append(row)
    finally:
        if video is not None and video.frames:
            video.close()
        elif video is not None:
            video.abort()
    with atomic_write(out / "detections.json") as f:
        json.dump(rows, f)
    if objects == 0:
        print(f"dettrack detect: warning: no detection reached --score {args.score:g} on the {len(rows)} frame(s); try a lower --score", file=sys.stderr)
    if not args.quiet:
        elapsed = time.perf_counter() - started
        drawn = f"{len(rows)} annotated image(s)" if source.files else "detections.mp4"
        print(f"found {objects} object(s) with score >= {args.score:g} on {len(rows)} frame(s) in {elapsed:.1f} s; wrote {out}/detections.json and {drawn}")
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("detect", help="detect and segment COCO classes in an image, a folder of images or a video (the same network, detection mode)")
    p.add_argument("input", help="image, folder of images (any sizes), video file, camera index or stream URL")
    p.add_argument("--classes", nargs="+", default=[], help="keep only these classes (COCO names or ids)")
    p.add_argument("--score", type=float, default=DETECTION_SCORE, help="minimum detection score (default: %(default)s, the best F1 of the shipped model on COCO images; a Mask R-CNN model may want 0.5)")
    p.add_argument("--model", default="pretrained", help="'pretrained', a checkpoint path or a backbone name")
    p.add_argument("--out", default="dettrack_detect", help="output folder (default: %(default)s)")
    p.add_argument("--start", type=int, default=0, help="first frame (or image) to read")
    p.add_argument("--end", type=int, help="frame (or image) to stop before")
    return p
