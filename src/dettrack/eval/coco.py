"""COCO instance segmentation mAP of the network in detection mode (pycocotools' COCOeval).

The detector side of DetTrack is torchvision's Mask R-CNN: `model([image])` returns boxes,
labels (COCO category ids for a 91-class model), scores and mask probabilities; masks are
binarised at 0.5 and RLE-encoded as COCO results. AP is COCOeval's stats[0] (IoU 0.50:0.95).
"""

import contextlib
import io
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from tqdm import tqdm

from ..data.images import PathLike, load_image
from ..model import DetTrack
from ..tracking.inputs import frame_to_tensor


@torch.inference_mode()
def coco_detections(model: DetTrack, coco: COCO, images: Path, image_ids: list[int], quiet: bool = True) -> list[dict]:
    """COCO result entries (segmentation RLE, bbox, score, category) for `image_ids`."""
    device = next(model.parameters()).device
    results = []
    for image_id in tqdm(image_ids, desc="COCO detection", unit="image", disable=quiet):
        info = coco.imgs[image_id]
        image = load_image(images / info["file_name"])
        if image.shape[:2] != (info["height"], info["width"]):
            raise ValueError(
                f"{images / info['file_name']}: image is {image.shape[1]}x{image.shape[0]}, "
                f"the annotations say {info['width']}x{info['height']}"
            )
        out = model.eval()([frame_to_tensor(image, device)])[0]
        masks = (out["masks"][:, 0] > 0.5).cpu().numpy()
        boxes, labels, scores = out["boxes"].tolist(), out["labels"].tolist(), out["scores"].tolist()
        for box, label, score, mask in zip(boxes, labels, scores, masks, strict=True):
            rle = mask_utils.encode(np.asfortranarray(mask))
            results.append({
                "image_id": image_id, "category_id": int(label), "score": float(score),
                "bbox": [box[0], box[1], box[2] - box[0], box[3] - box[1]],
                "segmentation": {"size": rle["size"], "counts": rle["counts"].decode("ascii")},
            })  # fmt: skip
    return results


def coco_map(
    model: DetTrack, annotations: PathLike, images: PathLike, limit: Optional[int] = None, quiet: bool = True
) -> dict[str, float]:
    """Mask and box AP (IoU 0.50:0.95) on the images of a COCO annotation file (the first `limit` of them)."""
    annotations, images = Path(annotations), Path(images)
    if not annotations.is_file():
        raise FileNotFoundError(f"{annotations}: COCO annotation file not found")
    if not images.is_dir():
        raise FileNotFoundError(f"{images}: COCO image folder not found")
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        coco = COCO(str(annotations))
    image_ids = sorted(coco.getImgIds())[:limit]
    results = coco_detections(model, coco, images, image_ids, quiet)
    if not results:
        return {"mask mAP": 0.0, "box mAP": 0.0, "images": float(len(image_ids))}
    scores = {key: average_precision(coco, results, image_ids, kind) for kind, key in (("segm", "mask mAP"), ("bbox", "box mAP"))}
    return {**scores, "images": float(len(image_ids))}


def average_precision(coco: COCO, results: list[dict], image_ids: list[int], kind: str) -> float:
    """COCOeval's AP at IoU 0.50:0.95 of result entries, for kind 'bbox' or 'segm' (0 without results)."""
    if not results:
        return 0.0
    # each kind without the other's field: with a bbox present, pycocotools takes the box area as a mask's area
    other = "segmentation" if kind == "bbox" else "bbox"
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        detections = coco.loadRes([{k: v for k, v in r.items() if k != other} for r in results])
        evaluation = COCOeval(coco, detections, kind)
        evaluation.params.imgIds = image_ids
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return max(float(evaluation.stats[0]), 0.0)  # -1 means no ground truth to match
