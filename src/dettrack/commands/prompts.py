"""Where objects start: --box text, --init-frame, and --boxes files (JSON or CSV)."""

import csv
import json
from pathlib import Path
from typing import Hashable, Sequence

Prompts = dict[int, dict[Hashable, tuple[float, float, float, float]]]


def parse_box(text: str) -> tuple[float, float, float, float]:
    """'x,y,w,h' -> four floats, with a message that quotes the bad text."""
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError(f"--box {text!r}: expected four numbers x,y,w,h") from None
    if len(values) != 4:
        raise ValueError(f"--box {text!r}: expected four numbers x,y,w,h, got {len(values)}")
    return values  # type: ignore[return-value]


def prompts_from_args(boxes: Sequence[str], init_frame: int) -> Prompts:
    """Objects 0, 1, ... from repeated --box, all starting on --init-frame."""
    if not boxes:
        return {}
    return {init_frame: {i: parse_box(b) for i, b in enumerate(boxes)}}


def object_id(given: Hashable) -> Hashable:
    """An object's id as the outputs use it: a whole number written as text ('7', as CSV gives
    every id) is the number 7, the same object as --box's 7 and JSON's 7."""
    if isinstance(given, str) and given.isdigit() and str(int(given)) == given:
        return int(given)
    return given


def same_id(a: Hashable, b: Hashable) -> bool:
    """Whether two ids name one object in the outputs (an object's folder is named by its id's text)."""
    return str(a) == str(b)


def prompts_from_file(path: Path) -> Prompts:
    """A JSON list of {"id", "frame", "box": [x, y, w, h]} or a CSV with columns id,frame,x,y,w,h."""
    if not path.is_file():
        raise FileNotFoundError(f"--boxes {path}: no such file")
    rows = _json_rows(path) if path.suffix.lower() == ".json" else _csv_rows(path)
    prompts: Prompts = {}
    for where, given, frame, box in rows:
        obj_id = object_id(given)
        if frame < 0:
            raise ValueError(f"{where}: frame must be >= 0, got {frame}")
        if any(same_id(obj_id, other) for objs in prompts.values() for other in objs):
            raise ValueError(f"{where}: object {obj_id!r} is given twice")
        prompts.setdefault(frame, {})[obj_id] = box
    if not prompts:
        raise ValueError(f"--boxes {path}: no objects")
    return prompts


def _json_rows(path: Path) -> list[tuple[str, Hashable, int, tuple]]:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of {{id, frame, box}} objects")
    rows = []
    for i, item in enumerate(data):
        where = f"{path} item {i}"
        if not isinstance(item, dict) or not {"id", "box"} <= set(item):
            raise ValueError(f"{where}: expected keys id, frame, box")
        box = item["box"]
        if not isinstance(box, (list, tuple)) or len(box) != 4:
            raise ValueError(f"{where}: box must be [x, y, w, h]")
        rows.append((where, item["id"], _int(item.get("frame", 0), where), tuple(_float(v, where) for v in box)))
    return rows


def _csv_rows(path: Path) -> list[tuple[str, Hashable, int, tuple]]:
    rows = []
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = {"id", "frame", "x", "y", "w", "h"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))} (need id,frame,x,y,w,h)")
        for line, row in enumerate(reader, start=2):
            where = f"{path} line {line}"
            box = tuple(_float(row[k], where) for k in "xywh")
            rows.append((where, row["id"], _int(row["frame"], where), box))
    return rows


def _int(value, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: frame {value!r} is not an integer") from None


def _float(value, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {value!r} is not a number") from None
