"""Box AP of `dettrack detect` beside the reference detector, on COCO images kept out of training.

Rows: the published NanoDet-m run by onnxruntime with its README's decoding (the reference),
the same weights converted into dettrack's light family (untrained: must equal the reference),
and any dettrack checkpoints given (the shipped model by default: after joint training, its
detection mode should stay close to the reference; mask AP too where it has a mask head).
Images: the val2017 images of ../shared/data/coco_extra (78), which no recipe trains on.
Example:
    python benchmarks/detection_ap.py --models pretrained runs/light/model.pt
"""

import argparse
import contextlib
import io
import json
from pathlib import Path

import torch
from pycocotools.coco import COCO
from tqdm import tqdm

from dettrack.data import load_image
from dettrack.eval.coco import average_precision, coco_detections
from dettrack.eval.reference import NanoDetReference
from dettrack.loading import load_model
from dettrack.model.light import build_light_model
from dettrack.model.light.model import coco_category_ids

SHARED = Path(__file__).resolve().parents[2] / "shared"


def val_images(coco: COCO, annotations: Path, split: str) -> list[int]:
    images = json.loads(annotations.read_text())["images"]
    return sorted(i["id"] for i in images if f"/{split}/" in i.get("coco_url", ""))


def reference_results(reference: NanoDetReference, coco: COCO, images: Path, image_ids: list[int]) -> list[dict]:
    ids = coco_category_ids(torch.device("cpu")).tolist()
    results = []
    for image_id in tqdm(image_ids, desc="onnxruntime", unit="image"):
        boxes, scores, labels = reference.detect(load_image(images / coco.imgs[image_id]["file_name"]))
        for (x1, y1, x2, y2), score, label in zip(boxes.tolist(), scores.tolist(), labels.tolist()):
            results.append({"image_id": image_id, "category_id": ids[label], "score": score, "bbox": [x1, y1, x2 - x1, y2 - y1]})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=["pretrained"], help="dettrack model specs ('pretrained' or checkpoint paths)")
    parser.add_argument("--root", default=str(SHARED / "data" / "coco_extra"), help="COCO folder (annotations/instances.json, images/)")
    parser.add_argument("--split", default="val2017", help="keep the images whose coco_url names this split")
    parser.add_argument("--onnx", default=str(SHARED / "weights" / "nanodet_m.onnx"), help="the reference NanoDet-m ONNX file")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    root = Path(args.root)
    annotations, images = root / "annotations" / "instances.json", root / "images"
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(annotations))
    image_ids = val_images(coco, annotations, args.split)
    rows = [("NanoDet-m, onnxruntime (reference)", average_precision(coco, reference_results(NanoDetReference(args.onnx), coco, images, image_ids), image_ids, "bbox"), None)]
    converted = build_light_model(args.onnx, teacher=False).eval()
    models = [("NanoDet-m converted (light family, untrained)", converted)] + [(spec, load_model(spec, "cpu")) for spec in args.models]
    for name, model in models:
        results = coco_detections(model, coco, images, image_ids, quiet=False)
        has_masks = getattr(model, "family", None) != "light" or name != models[0][0]
        rows.append((name, average_precision(coco, results, image_ids, "bbox"), average_precision(coco, results, image_ids, "segm") if has_masks else None))
    print(f"\n{len(image_ids)} {args.split} images of {root}\n")
    print("| model | box AP | mask AP |")
    print("|---|---|---|")
    for name, box_ap, mask_ap in rows:
        print(f"| {name} | {box_ap:.3f} | {'-' if mask_ap is None else f'{mask_ap:.3f}'} |")


if __name__ == "__main__":
    main()
