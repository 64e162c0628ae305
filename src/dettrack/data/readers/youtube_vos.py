"""YouTube-VOS: <root>/<split>/meta.json, JPEGImages/<video>/00000.jpg, Annotations/<video>/00000.png.

meta.json: {"videos": {video: {"objects": {"1": {"category": ..., "frames": ["00000", ...]}}}}}.
Masks are palette PNGs holding every object of the video (index = object id). Each object
becomes a Sequence '<video>/<id>' starting at its first listed frame; frames without a PNG
(the validation split annotates first appearances only) are unlabelled.
"""

import json
from pathlib import Path
from typing import Any, Optional

from ..images import PathLike
from ..lazy import FrameMasks, Frames
from ..records import Sequence
from ..textfiles import require_dir, require_file
from ..tracks import MaskTrack
from .common import frame_paths, masks_for_frames


def read_youtube_vos(root: PathLike, split: Optional[str] = None) -> list[Sequence]:
    """One Sequence per object per video of <root>/<split> (or of root itself when split is None)."""
    folder = require_dir(root, "dataset root")
    if split is not None:
        folder = require_dir(folder / split, f"YouTube-VOS {split} split")
    meta_path = require_file(folder / "meta.json", "YouTube-VOS meta.json")
    videos = _load_meta(meta_path)
    if not videos:
        raise ValueError(f"{meta_path}: no videos (empty split)")
    sequences = []
    for video, entry in videos.items():
        frames = frame_paths(folder / "JPEGImages" / video)
        mask_folder = require_dir(folder / "Annotations" / video, "YouTube-VOS annotation folder")
        mask_paths = masks_for_frames(frames, mask_folder)
        index = {path.stem: i for i, path in enumerate(frames)}
        for key, obj in _objects(entry, meta_path, video):
            unknown = [name for name in obj["frames"] if name not in index]
            if unknown:
                raise ValueError(f"{meta_path}: video {video} object {key}: frame {unknown[0]!r} not in {frames[0].parent}")
            start = min(index[name] for name in obj["frames"])
            masks = FrameMasks(mask_paths[start:], int(key))
            if masks.paths[0] is None:
                raise ValueError(f"{mask_folder}: no mask for object {key}'s first frame {frames[start].stem}")
            sequences.append(
                Sequence(
                    name=f"{video}/{key}",
                    frames=Frames(frames[start:]),
                    track=MaskTrack(masks),
                    masks=masks,
                    video=video,
                    object_id=int(key),
                    category=obj.get("category"),
                )
            )
    return sequences


def _load_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}:{err.lineno}: malformed JSON ({err.msg})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("videos"), dict):
        raise ValueError(f"{path}: expected an object with a 'videos' mapping")
    return meta["videos"]


def _objects(entry: Any, path: Path, video: str) -> list[tuple[str, dict]]:
    """(id, object entry) pairs of one video, checked: integer ids, a non-empty 'frames' list."""
    objects = entry.get("objects") if isinstance(entry, dict) else None
    if not isinstance(objects, dict):
        raise ValueError(f"{path}: video {video}: expected an 'objects' mapping")
    for key, obj in objects.items():
        frames = obj.get("frames") if isinstance(obj, dict) else None
        if not key.isdigit() or not isinstance(frames, list) or not frames or not all(isinstance(f, str) for f in frames):
            raise ValueError(f"{path}: video {video} object {key!r}: expected an integer id with a non-empty list of frame names")
    return sorted(objects.items(), key=lambda item: int(item[0]))
