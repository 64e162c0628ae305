"""Turn a recipe's data and val sections into the training stream and the validator."""

import os
from pathlib import Path
from typing import Any, Callable, Optional

from ..data import open_dataset, read_coco_file
from ..data.records import Sequence
from ..model.interface import TrackingModel
from .sources import DetectionImages, ImagePairs, SequencePairs
from .stream import TrainingStream
from .validate import validate_sequences

ENTRY_KEYS = {"format", "root", "split", "exclude", "only", "annotations", "images"}


def _path(value: str) -> Path:
    return Path(os.path.expandvars(os.path.expanduser(value)))


def _check_entry(entry: dict[str, Any], where: str) -> None:
    if not isinstance(entry, dict) or "format" not in entry or "root" not in entry:
        raise ValueError(f"{where}: each entry needs at least 'format' and 'root', got {entry!r}")
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)} in {entry!r}")


def load_sequences(entries: list[dict[str, Any]], where: str) -> list[Sequence]:
    """Read every entry's sequences, keeping `only` / dropping `exclude` by sequence or video name."""
    sequences: list[Sequence] = []
    for entry in entries:
        _check_entry(entry, where)
        found = open_dataset(entry["format"], _path(entry["root"]), entry.get("split"))
        names = {s.name for s in found} | {s.video for s in found}
        for key in ("only", "exclude"):
            missing = sorted(set(entry.get(key) or []) - names)
            if missing:
                raise ValueError(f"{where}: {key} names sequence(s) not in {entry['root']}: {', '.join(missing)}")
        if entry.get("only"):
            found = [s for s in found if s.name in entry["only"] or s.video in entry["only"]]
        if entry.get("exclude"):
            found = [s for s in found if s.name not in entry["exclude"] and s.video not in entry["exclude"]]
        sequences.extend(found)
    return sequences


def load_images(entries: list[dict[str, Any]], where: str) -> list:
    records = []
    for entry in entries:
        _check_entry(entry, where)
        if entry["format"] != "coco":
            raise ValueError(f"{where}: image sources must have format coco, got {entry['format']!r}")
        root = _path(entry["root"])
        if entry.get("annotations") and entry.get("images"):
            found = read_coco_file(root / entry["annotations"], root / entry["images"])
            if entry.get("split"):
                found = _in_split(found, root / entry["annotations"], entry["split"], where)
            records.extend(found)
        else:
            records.extend(open_dataset("coco", root, entry.get("split")))
    return records


def _in_split(records: list, annotations: Path, split: str, where: str) -> list:
    """The records of a COCO file that mixes splits (coco_extra) whose coco_url names `split` (e.g. train2017)."""
    import json

    images = json.loads(annotations.read_text())["images"]
    keep = {entry["id"] for entry in images if f"/{split}/" in str(entry.get("coco_url", ""))}
    if not keep:
        raise ValueError(f"{where}: no image of {annotations} has a coco_url in split {split!r}")
    return [r for r in records if r.image_id in keep]


def stream_factory(config: dict[str, Any]) -> Callable[[dict[str, Any], int], TrainingStream]:
    """Read the datasets once; the returned factory builds each rank's stream over them."""
    data = config["data"]
    pair_sources = []
    shares = data["pair_shares"]
    sequences = load_sequences(data["sequences"], "data.sequences")
    if sequences:
        pair_sources.append((SequencePairs(sequences, data["max_gap"]), shares["sequences"]))
    if data["image_pairs"]:
        pair_sources.append((ImagePairs(load_images(data["image_pairs"], "data.image_pairs")), shares["image_pairs"]))
    if data["copy_paste"]:
        from .copy_paste_source import CopyPastePairs

        images = load_images(data["copy_paste"], "data.copy_paste")
        pairs = CopyPastePairs(images, data["copy_paste_size"], data["max_gap"], data["copy_paste_scene"], data["copy_paste_regions"])
        pair_sources.append((pairs, shares["copy_paste"]))
    detection: Optional[DetectionImages] = None
    if data["detection"]:
        detection = DetectionImages(load_images(data["detection"], "data.detection"))

    def make(config: dict[str, Any], rank: int) -> TrainingStream:
        t = config["train"]
        return TrainingStream(
            pair_sources, detection, t["detection_ratio"], t["batch_size"], t["iterations"], t["seed"], rank,
            template_jitter=data["template_jitter"], search_crop=data["search_crop"],
            negative_pairs=data["negative_pairs"], photometric=data["photometric"], part_pairs=data["part_pairs"],
            low_res=data["low_res"],
        )

    return make


def validator(config: dict[str, Any]) -> Optional[Callable[[TrackingModel], dict[str, float]]]:
    val = config["val"]
    if not val["every"] or not val["sequences"]:
        return None
    sequences = load_sequences(val["sequences"], "val.sequences")

    def run(model: TrackingModel) -> dict[str, float]:
        return validate_sequences(model, sequences, val["frame_step"], val["max_frames"])

    return run
