"""COCO instance annotations (JSON): images, categories and annotations with bbox (x, y, w, h
in pixels) and segmentation as polygons, uncompressed RLE (iscrowd) or compressed RLE.

Masks are decoded with pycocotools when asked for. Images without annotations are kept
(negatives); annotations with a zero-size box are dropped with a counted warning.
"""

import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import numpy as np
from pycocotools import mask as mask_utils

from ..images import PathLike
from ..records import ImageRecord, InstanceMasks
from ..textfiles import require_dir, require_file


def read_coco(
    root: PathLike,
    split: Optional[str] = None,
    annotations: Optional[PathLike] = None,
    images: Optional[PathLike] = None,
) -> list[ImageRecord]:
    """One ImageRecord per image of a COCO JSON file.

    `annotations` (JSON file) and `images` (folder) may be given relative to `root`. By
    default the JSON is annotations/instances_<split>.json, or the only JSON file in root/
    or root/annotations/; the image folder is root/<split>, else root/<name after
    'instances_'>, else root/images, else root.
    """
    root = require_dir(root, "dataset root")
    json_path = require_file(root / annotations, "COCO annotation file") if annotations else _find_json(root, split)
    image_folder = require_dir(root / images, "COCO image folder") if images else _find_images(root, split, json_path)
    return read_coco_file(json_path, image_folder)


def read_coco_file(json_path: PathLike, image_folder: PathLike) -> list[ImageRecord]:
    """The ImageRecords of one COCO JSON file whose file_names are relative to `image_folder`."""
    json_path, image_folder = Path(json_path), Path(image_folder)
    data = _load_json(json_path)
    categories = {
        _field(c, "id", int, json_path, "categories", i): str(c.get("name", "")) for i, c in enumerate(data["categories"])
    }
    images = {}
    for i, entry in enumerate(data["images"]):
        image_id = _field(entry, "id", int, json_path, "images", i)
        images[image_id] = (
            image_folder / _field(entry, "file_name", str, json_path, "images", i),
            _field(entry, "height", int, json_path, "images", i),
            _field(entry, "width", int, json_path, "images", i),
        )
    instances: dict[int, list[tuple[list[float], int, bool, Any]]] = {image_id: [] for image_id in images}
    degenerate = 0
    for i, ann in enumerate(data["annotations"]):
        image_id = _field(ann, "image_id", int, json_path, "annotations", i)
        category = _field(ann, "category_id", int, json_path, "annotations", i)
        box = _box(ann, json_path, i)
        if image_id not in images:
            raise ValueError(f"{json_path}: annotations[{i}] refers to unknown image_id {image_id}")
        if category not in categories:
            raise ValueError(f"{json_path}: annotations[{i}] refers to unknown category_id {category}")
        if box[2] <= 0 or box[3] <= 0:
            degenerate += 1
            continue
        segmentation = _segmentation(ann.get("segmentation"), json_path, i, images[image_id][1:])
        instances[image_id].append((box, category, bool(ann.get("iscrowd", 0)), segmentation))
    if degenerate:
        warnings.warn(f"{json_path}: dropped {degenerate} annotations with zero-size boxes", stacklevel=2)
    missing = [path for path, _, _ in images.values() if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"{missing[0]}: image file not found ({len(missing)} images of {json_path} missing)")
    return [_record(image_id, *images[image_id], instances[image_id], categories) for image_id in images]


def decode_segmentation(segmentation: Any, height: int, width: int) -> np.ndarray:
    """An H x W bool mask from COCO polygons, uncompressed RLE or compressed RLE."""
    with warnings.catch_warnings():
        # pycocotools' Cython decode trips NumPy 2's __array__(copy=) deprecation; harmless here.
        warnings.filterwarnings("ignore", message="__array__ implementation", category=DeprecationWarning)
        if isinstance(segmentation, list):
            rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
        elif isinstance(segmentation["counts"], list):
            rle = mask_utils.frPyObjects(segmentation, height, width)
        else:
            rle = segmentation
        return mask_utils.decode(rle).astype(bool)


def _record(image_id: int, path: Path, height: int, width: int, instances: list, categories: dict[int, str]) -> ImageRecord:
    labels = np.array([category for _, category, _, _ in instances], dtype=np.int64)
    return ImageRecord(
        path=path,
        height=height,
        width=width,
        boxes=np.array([box for box, _, _, _ in instances], dtype=np.float64).reshape(-1, 4),
        labels=labels,
        label_names=tuple(categories[int(c)] for c in labels),
        iscrowd=np.array([crowd for _, _, crowd, _ in instances], dtype=bool),
        masks=InstanceMasks(tuple(s for _, _, _, s in instances), _decoder(path, height, width)),
        image_id=image_id,
    )


def _decoder(image: Path, height: int, width: int) -> Callable[[Any], np.ndarray]:
    """decode_segmentation for one image, its errors naming the image."""

    def decode(segmentation: Any) -> np.ndarray:
        try:
            return decode_segmentation(segmentation, height, width)
        except (ValueError, TypeError) as err:
            raise ValueError(f"{image}: cannot decode a segmentation ({err})") from None

    return decode


def _load_json(path: Path) -> dict[str, list]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}:{err.lineno}: malformed JSON ({err.msg})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object with images, annotations and categories")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise ValueError(f"{path}: missing or non-list {key!r}")
    if not data["images"]:
        raise ValueError(f"{path}: no images (empty split)")
    return data


def _field(entry: Any, key: str, kind: type, path: Path, section: str, index: int) -> Any:
    value = entry.get(key) if isinstance(entry, dict) else None
    if kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{path}: {section}[{index}] needs {kind.__name__} {key!r}, got {value!r}")
    return value


def _box(ann: dict, path: Path, index: int) -> list[float]:
    box = ann.get("bbox")
    if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in box)):
        raise ValueError(f"{path}: annotations[{index}] needs 'bbox' as four finite numbers, got {box!r}")
    return [float(v) for v in box]


def _segmentation(segmentation: Any, path: Path, index: int, size: tuple[int, int]) -> Any:
    """The segmentation, checked against the image `size` (H, W); None when there is none (a box-only instance)."""
    if segmentation is None or segmentation == []:
        return None
    if isinstance(segmentation, list):
        for polygon in segmentation:
            if not (isinstance(polygon, list) and len(polygon) >= 6 and len(polygon) % 2 == 0):
                raise ValueError(f"{path}: annotations[{index}] has a polygon that is not an even list of >= 6 coordinates")
        return segmentation
    if not (isinstance(segmentation, dict) and isinstance(segmentation.get("counts"), (list, str))):
        raise ValueError(f"{path}: annotations[{index}] has a segmentation that is neither polygons nor RLE")
    if segmentation.get("size") != list(size):
        raise ValueError(
            f"{path}: annotations[{index}] has an RLE of size {segmentation.get('size')} for a {size[0]}x{size[1]} image"
        )
    counts = segmentation["counts"]
    if isinstance(counts, list) and sum(counts) != size[0] * size[1]:
        raise ValueError(f"{path}: annotations[{index}] has an RLE of {sum(counts)} pixels for a {size[0]}x{size[1]} image")
    return segmentation


def _find_json(root: Path, split: Optional[str]) -> Path:
    if split is not None:
        return require_file(root / "annotations" / f"instances_{split}.json", f"COCO annotations of split {split!r}")
    candidates = sorted(root.glob("*.json")) + sorted((root / "annotations").glob("*.json"))
    if len(candidates) != 1:
        found = ", ".join(p.name for p in candidates) or "none"
        raise ValueError(f"{root}: expected one COCO JSON file in it or in annotations/ (found {found}); give annotations=")
    return candidates[0]


def _find_images(root: Path, split: Optional[str], json_path: Path) -> Path:
    names = [split] if split else []
    names += [json_path.stem.removeprefix("instances_"), "images"]
    for name in names:
        if (root / name).is_dir():
            return root / name
    return root
