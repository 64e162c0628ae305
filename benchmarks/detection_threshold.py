"""The default score of `dettrack detect`: precision, recall and F1 per score threshold, chosen on training images.

A detection is right when it overlaps an unmatched ground-truth box of its class by IoU >= 0.5
(greedy, by score, per image and class; PASCAL VOC's matching); one that matches only a crowd
region is neither right nor wrong; a ground-truth box no detection matches is a miss. Counts are
pooled over the images. The threshold of best F1 on COCO images the shipped model trained on
(coco128 and coco_extra's train2017 images) is the one to ship; the held-out val2017 images of
coco_extra, which no recipe trains on, show what it gives. Also: person recall on the held-out
images with at least 8 people (crowds).
Example:
    python benchmarks/detection_threshold.py
"""

import argparse
import contextlib
import io
from pathlib import Path

import numpy as np
import torch
import torchvision
from pycocotools.coco import COCO
from tqdm import tqdm

from dettrack.boxes import xywh_to_xyxy
from dettrack.data import load_image
from dettrack.detection import detect
from dettrack.loading import load_model

SHARED = Path(__file__).resolve().parents[2] / "shared"
# (name, annotations, images folder, split named in coco_url or None for all)
SELECTION = [
    ("coco128", SHARED / "data/coco128/annotations/instances_train2017.json", SHARED / "data/coco128/train2017", None),
    ("coco_extra train2017", SHARED / "data/coco_extra/annotations/instances.json", SHARED / "data/coco_extra/images", "train2017"),
]
HELD_OUT = [("coco_extra val2017", SHARED / "data/coco_extra/annotations/instances.json", SHARED / "data/coco_extra/images", "val2017")]
PERSON = 1  # COCO's category id of person
CROWD = 8  # people in an image that make it a crowd


def image_rows(model, sources, lowest: float) -> list[tuple]:
    """Per image: (detections [N, 4] xyxy, their classes, scores, ground truth [M, 4] xyxy, classes, crowd flags)."""
    rows = []
    for name, annotations, images, split in sources:
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(str(annotations))
        ids = sorted(i for i, info in coco.imgs.items() if split is None or f"/{split}/" in info.get("coco_url", ""))
        for image_id in tqdm(ids, desc=name, unit="image"):
            found = detect(model, load_image(Path(images) / coco.imgs[image_id]["file_name"]), score=lowest)
            anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
            gt = np.array([a["bbox"] for a in anns], float).reshape(-1, 4)
            rows.append((
                xywh_to_xyxy(torch.as_tensor(found.boxes, dtype=torch.float32).reshape(-1, 4)), np.asarray(found.labels), np.asarray(found.scores),
                xywh_to_xyxy(torch.as_tensor(gt, dtype=torch.float32)), np.array([a["category_id"] for a in anns]), np.array([a.get("iscrowd", 0) for a in anns], bool),
            ))  # fmt: skip
    return rows


def counts(rows, threshold: float, only: int | None = None) -> tuple[int, int, int]:
    """(right, wrong, missed) detections at a score threshold (of class `only`, when given)."""
    right = wrong = missed = 0
    for boxes, labels, scores, gt, gt_labels, crowd in rows:
        for cls in set(labels[scores >= threshold].tolist()) | set(gt_labels[~crowd].tolist()):
            if only is not None and cls != only:
                continue
            mine = np.flatnonzero((labels == cls) & (scores >= threshold))
            mine = mine[np.argsort(-scores[mine])]
            real, crowds = np.flatnonzero((gt_labels == cls) & ~crowd), np.flatnonzero((gt_labels == cls) & crowd)
            iou = torchvision.ops.box_iou(boxes[mine], gt[real]).numpy() if len(mine) and len(real) else np.zeros((len(mine), len(real)))
            on_crowd = torchvision.ops.box_iou(boxes[mine], gt[crowds]).numpy().max(1) >= 0.5 if len(mine) and len(crowds) else np.zeros(len(mine), bool)
            taken = np.zeros(len(real), bool)
            for k in range(len(mine)):
                free = np.where(taken, -1.0, iou[k]) if len(real) else np.zeros(0)
                if len(free) and free.max() >= 0.5:
                    taken[int(free.argmax())] = True
                    right += 1
                elif not on_crowd[k]:
                    wrong += 1
            missed += int((~taken).sum())
    return right, wrong, missed


def prf(right: int, wrong: int, missed: int) -> tuple[float, float, float]:
    precision, recall = right / max(right + wrong, 1), right / max(right + missed, 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model, "cpu")
    lowest = min(args.thresholds)
    selection, held_out = image_rows(model, SELECTION, lowest), image_rows(model, HELD_OUT, lowest)
    crowds = [r for r in held_out if ((r[4] == PERSON) & ~r[5]).sum() >= CROWD]
    print(f"\n{args.model}: {len(selection)} training images choose, {len(held_out)} held-out images show ({len(crowds)} with >= {CROWD} people)\n")
    print("| score threshold | training images: precision / recall / F1 | held out: precision / recall / F1 | held-out crowds: person recall |")
    print("|---|---|---|---|")
    best = max(args.thresholds, key=lambda t: prf(*counts(selection, t))[2])
    for t in args.thresholds:
        picked = " (best F1 on training images)" if t == best else ""
        cells = [" / ".join(f"{v:.3f}" for v in prf(*counts(rows, t))) for rows in (selection, held_out)]
        print(f"| {t:g}{picked} | {cells[0]} | {cells[1]} | {prf(*counts(crowds, t, PERSON))[1]:.3f} |")
    print(f"\nchosen: {best:g}")


if __name__ == "__main__":
    main()
