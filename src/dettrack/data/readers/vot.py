"""VOT: <root>/list.txt naming sequence folders, each with groundtruth.txt and its frames in
color/ (VOT2020 layout) or in the folder itself (older challenges).

A ground-truth line is a rectangle x, y, w, h (4 values) or a rotated box x1, y1, ..., x4, y4
(8 values), turned into the axis-aligned box enclosing its corners. Long-term (VOT-LT)
files mark an absent target with NaN or zero-size rows. Coordinates are used as given.
VOT2020+ mask lines ('m...') are not read.
"""

from pathlib import Path
from typing import Optional

import numpy as np

from ..images import PathLike
from ..lazy import Frames
from ..records import Sequence
from ..textfiles import check_row_count, parse_floats, read_lines, read_names, require_file, split_fields
from ..tracks import box_track
from .common import frame_paths, no_split, sequence_folders


def read_vot(root: PathLike, split: Optional[str] = None) -> list[Sequence]:
    """One Sequence per VOT sequence (those in list.txt when there is one, else every folder)."""
    no_split("vot", split)
    list_file = Path(root) / "list.txt"
    names = read_names(list_file) if list_file.is_file() else None
    return [read_vot_sequence(folder) for folder in sequence_folders(root, names, str(list_file))]


def read_vot_sequence(folder: PathLike) -> Sequence:
    """One VOT sequence folder."""
    folder = Path(folder)
    frames = frame_paths(folder / "color" if (folder / "color").is_dir() else folder)
    gt = require_file(folder / "groundtruth.txt", "VOT ground truth")
    rows = read_vot_regions(gt)
    check_row_count(len(rows), len(frames), gt, folder)
    return Sequence(name=folder.name, frames=Frames(frames), track=box_track(rows, str(gt)))


def read_vot_regions(path: PathLike) -> np.ndarray:
    """(N, 4) x, y, w, h boxes from a VOT region file (rectangles or 8-value polygons)."""
    boxes = []
    for number, line in read_lines(path):
        where = f"{path}:{number}"
        if line.startswith("m"):
            raise ValueError(f"{where}: VOT mask regions are not supported; expected 4 or 8 numbers")
        values = parse_floats(split_fields(line), where)
        if len(values) == 4:
            boxes.append(values)
        elif len(values) == 8:
            xs, ys = np.array(values[0::2]), np.array(values[1::2])
            boxes.append([xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min()])
        else:
            raise ValueError(f"{where}: expected 4 (rectangle) or 8 (polygon) values, got {len(values)}")
    return np.array(boxes, dtype=np.float64).reshape(-1, 4)
