"""`dettrack detect`: the same network as a COCO-style instance detector on an image or a video."""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from pycocotools import mask as mask_utils
from torchvision.models.detection import MaskRCNN_ResNet50_FPN_Weights
from tqdm import tqdm

from ..io_utils import atomic_write
from ..model import DetTrack
from ..tracking.inputs import frame_to_tensor
from ..video import FrameSource, VideoWriter, read_image
from ..video.draw import Instance, colour_of, draw_instances
from ..video.reader import IMAGE_SUFFIXES
from .track import source_argument

COCO_NAMES: list[str] = MaskRCNN_ResNet50_FPN_Weights.COCO_V1.meta["categories"]


def class_filter(names: list[str], num_classes: int) -> set[int]:
    """Class ids from COCO names or numbers ('person', '3')."""
    ids = set()
    for name in names:
        if name.isdigit() and 0 < int(name) < num_classes:
            ids.add(int(name))
        elif name in COCO_NAMES and COCO_NAMES.index(name) < num_classes:
            ids.add(COCO_NAMES.index(name))
        else:
            raise ValueError(f"--classes: unknown class {name!r} (a COCO name such as 'person', or an id 1..{num_classes - 1})")
    return ids


def label_name(label: int) -> str:
    return COCO_NAMES[label] if 0 <= label < len(COCO_NAMES) else str(label)


@torch.inference_mode()
def detect(model: DetTrack, frame: np.ndarray, score: float, classes: set[int]) -> list[dict]:
    """Detections of one frame: box (x, y, w, h), label, name, score and the mask as COCO RLE."""
    out = model([frame_to_tensor(frame, next(model.parameters()).device)])[0]
    keep = out["scores"] >= score
    if classes:
        keep &= torch.isin(out["labels"], torch.tensor(sorted(classes), device=keep.device))
    results = []
    for box, label, conf, prob in zip(out["boxes"][keep], out["labels"][keep], out["scores"][keep], out["masks"][keep]):
        x1, y1, x2, y2 = box.tolist()
        rle = mask_utils.encode(np.asfortranarray((prob[0] > 0.5).cpu().numpy()))
        results.append({
            "box": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
            "label": int(label), "name": label_name(int(label)), "score": round(float(conf), 4),
            "segmentation": {"size": rle["size"], "counts": rle["counts"].decode("ascii")},
        })
    return results


def annotate(frame: np.ndarray, detections: list[dict]) -> np.ndarray:
    instances = [
        Instance(d["box"], mask_utils.decode({**d["segmentation"], "counts": d["segmentation"]["counts"].encode()}).astype(bool),
                 f"{d['name']} {d['score']:.2f}", colour_of(d["label"]))
        for d in detections
    ]
    return draw_instances(frame, instances)


def run(args: argparse.Namespace, model: DetTrack) -> int:
    source = Path(args.input)
    model = model.to(memory_format=torch.channels_last)  # faster convolutions, the same detections
    classes = class_filter(args.classes, model.roi_heads.box_predictor.cls_score.out_features) if args.classes else set()
    out = Path(args.out)
    started = time.perf_counter()
    if source.is_file() and source.suffix.lower() in IMAGE_SUFFIXES:
        frame = read_image(source)
        detections = detect(model, frame, args.score, classes)
        with atomic_write(out / "detections.json") as f:
            json.dump([{"frame": 0, "detections": detections}], f)
        with atomic_write(out / f"{source.stem}_detections.png", "wb") as f:
            Image.fromarray(annotate(frame, detections)).save(f, format="PNG")
        frames = 1
    else:
        frames_in = FrameSource(source if source.exists() else source_argument(args.input), args.start, args.end)
        rows = []
        with VideoWriter(out / "detections.mp4", frames_in.fps) as writer:
            for index, frame in enumerate(tqdm(frames_in, total=frames_in.count, desc="detecting", unit="frame", disable=args.quiet), args.start):
                detections = detect(model, frame, args.score, classes)
                rows.append({"frame": index, "detections": detections})
                writer.write(annotate(frame, detections))
        with atomic_write(out / "detections.json") as f:
            json.dump(rows, f)
        frames = len(rows)
    if not args.quiet:
        elapsed = time.perf_counter() - started
        print(f"detected on {frames} frame(s) in {elapsed:.1f} s; wrote {out}/detections.json and the annotated {'image' if frames == 1 and source.suffix.lower() in IMAGE_SUFFIXES else 'video'}")
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("detect", help="detect and segment COCO classes in an image or a video (the same network, detection mode)")
    p.add_argument("input", help="image, video file, folder of images, camera index or stream URL")
    p.add_argument("--classes", nargs="+", default=[], help="keep only these classes (COCO names or ids)")
    p.add_argument("--score", type=float, default=0.5, help="minimum detection score")
    p.add_argument("--model", default="pretrained", help="'pretrained', a checkpoint path or a backbone name")
    p.add_argument("--out", default="dettrack_detect", help="output folder (default: %(default)s)")
    p.add_argument("--start", type=int, default=0, help="first frame of a video")
    p.add_argument("--end", type=int, help="frame of a video to stop before")
    return p
