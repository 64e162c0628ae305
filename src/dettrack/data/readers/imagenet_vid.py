"""ImageNet VID (ILSVRC2015): frames in <root>/Data/VID/<split>/.../<snippet>/000000.JPEG, one
PASCAL-style XML per frame in <root>/Annotations/VID/<split>/.../<snippet>/000000.xml with
<object><trackid>, <name> (WordNet id), <bndbox> xmin, ymin, xmax, ymax (inclusive 0-based
pixel indices, so w = xmax - xmin + 1), <occluded>.

Each track becomes a Sequence '<snippet>/<trackid>' from its first appearance to the end of
the snippet (absent where a frame's XML lacks it). Every XML is parsed when the dataset is
opened, so opening the full train split takes a while.
"""

import os
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Optional

import numpy as np

from ..images import IMAGE_EXTENSIONS, PathLike, natural_key
from ..lazy import Frames
from ..records import Sequence
from ..textfiles import require_dir
from ..tracks import box_track
from .common import frame_paths

SPLITS = ("train", "val")


def read_imagenet_vid(root: PathLike, split: Optional[str] = None) -> list[Sequence]:
    """One Sequence per object track of every snippet in the split ('train' or 'val')."""
    if split not in SPLITS:
        raise ValueError(f"ImageNet VID split must be one of {SPLITS}, got {split!r}")
    root = require_dir(root, "dataset root")
    data = require_dir(root / "Data" / "VID" / split, f"ImageNet VID {split} frames")
    annotations = require_dir(root / "Annotations" / "VID" / split, f"ImageNet VID {split} annotations")
    snippets = _snippet_folders(data)
    if not snippets:
        raise ValueError(f"{data}: no snippets (empty split)")
    sequences, empty = [], 0
    for snippet in snippets:
        relative = snippet.relative_to(data).as_posix()
        tracks = read_vid_snippet(snippet, annotations / relative, relative)
        empty += not tracks
        sequences.extend(tracks)
    if empty:
        warnings.warn(f"{annotations}: {empty} snippets have no annotated object and give no sequence", stacklevel=2)
    return sequences


def read_vid_snippet(frame_folder: PathLike, xml_folder: PathLike, name: str) -> list[Sequence]:
    """The object tracks of one snippet."""
    frames = frame_paths(frame_folder)
    per_frame = [read_vid_xml(Path(xml_folder) / f"{frame.stem}.xml") for frame in frames]
    track_ids = sorted({track_id for objects in per_frame for track_id in objects})
    sequences = []
    for track_id in track_ids:
        start = next(i for i, objects in enumerate(per_frame) if track_id in objects)
        rows = np.full((len(frames) - start, 4), np.nan)
        occluded = np.zeros(len(rows), dtype=bool)
        for i, objects in enumerate(per_frame[start:]):
            if track_id in objects:
                rows[i], occluded[i] = objects[track_id][1], objects[track_id][2]
        sequences.append(
            Sequence(
                name=f"{name}/{track_id}",
                frames=Frames(frames[start:]),
                track=box_track(rows, f"{xml_folder}"),
                video=name,
                object_id=track_id,
                category=per_frame[start][track_id][0],
                frame_flags={"occluded": occluded},
            )
        )
    return sequences


def read_vid_xml(path: Path) -> dict[int, tuple[str, np.ndarray, bool]]:
    """trackid -> (WordNet id, x, y, w, h box, occluded) for one frame's XML."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: annotation of frame {path.stem} not found")
    try:
        tree = ET.parse(path)
    except ET.ParseError as err:
        raise ValueError(f"{path}:{err.position[0]}: malformed XML ({err})") from None
    objects = {}
    for index, element in enumerate(tree.getroot().iter("object")):
        where = f"{path}: object {index}"
        try:
            track_id = int(element.findtext("trackid"))
            name = element.findtext("name").strip()
            box = element.find("bndbox")
            xmin, ymin, xmax, ymax = (float(box.findtext(tag)) for tag in ("xmin", "ymin", "xmax", "ymax"))
        except (TypeError, ValueError, AttributeError):
            raise ValueError(f"{where}: expected <trackid>, <name> and <bndbox> with numeric xmin, ymin, xmax, ymax") from None
        if xmax < xmin or ymax < ymin:
            raise ValueError(f"{where}: inverted box xmin={xmin:g} xmax={xmax:g} ymin={ymin:g} ymax={ymax:g}")
        if track_id in objects:
            raise ValueError(f"{where}: trackid {track_id} appears twice")
        occluded = element.findtext("occluded", "0").strip() == "1"
        objects[track_id] = (name, np.array([xmin, ymin, xmax - xmin + 1, ymax - ymin + 1]), occluded)
    return objects


def _snippet_folders(data: Path) -> list[Path]:
    """Folders under `data` that directly hold frames."""
    found = [
        Path(folder)
        for folder, _, files in os.walk(data)
        if any(os.path.splitext(f)[1].lower() in IMAGE_EXTENSIONS for f in files)
    ]
    return sorted(found, key=lambda p: natural_key(p.as_posix()))
