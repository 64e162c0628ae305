"""The records every reader yields: `Sequence` (one object in one video) and `ImageRecord` (one annotated image)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .images import load_image
from .lazy import FrameMasks, Frames
from .tracks import Track


@dataclass(frozen=True, eq=False)
class Sequence:
    """One object tracked through one video.

    frames: lazy; `seq.frame(i)` reads frame i as H x W x 3 uint8 RGB.
    track: per-frame ground truth (`boxes` (N, 4) x, y, w, h in 0-based pixels with NaN rows
        where absent, `present`, `labelled`), possibly computed from masks on first access.
    masks: lazy per-frame masks of this object (None entries where a frame has no mask).
    video: the video's name; `name` is unique within a dataset ("video/object" for multi-object data).
    object_id: the object's id in its video (palette index, track id) for multi-object data.
    frame_flags: extra per-frame labels of the format (e.g. GOT-10k 'cover', LaSOT 'out_of_view').
    """

    name: str
    frames: Frames
    track: Track
    masks: Optional[FrameMasks] = None
    video: str = ""
    object_id: Optional[int] = None
    category: Optional[str] = None
    frame_flags: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.video:
            object.__setattr__(self, "video", self.name)
        if len(self.frames) == 0:
            raise ValueError(f"sequence {self.name}: no frames")
        if len(self.track) != len(self.frames):
            raise ValueError(f"sequence {self.name}: {len(self.track)} ground-truth entries for {len(self.frames)} frames")
        if self.masks is not None and len(self.masks) != len(self.frames):
            raise ValueError(f"sequence {self.name}: {len(self.masks)} mask entries for {len(self.frames)} frames")

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def boxes(self) -> np.ndarray:
        return self.track.boxes

    @property
    def present(self) -> np.ndarray:
        return self.track.present

    @property
    def labelled(self) -> np.ndarray:
        return self.track.labelled

    def frame(self, index: int) -> np.ndarray:
        """Frame `index` as H x W x 3 uint8 RGB."""
        return self.frames[index]

    def mask(self, index: int) -> Optional[np.ndarray]:
        """This object's H x W bool mask on frame `index`, or None when there is none."""
        return None if self.masks is None else self.masks[index]


class InstanceMasks:
    """K instance masks of one image, decoded on demand: `masks[k]` is H x W bool or None (no segmentation)."""

    def __init__(self, segmentations: tuple[Any, ...], decode: Callable[[Any], np.ndarray]) -> None:
        self.segmentations = segmentations
        self._decode = decode

    def __len__(self) -> int:
        return len(self.segmentations)

    def __getitem__(self, index: int) -> Optional[np.ndarray]:
        segmentation = self.segmentations[index]
        return None if segmentation is None else self._decode(segmentation)


@dataclass(frozen=True, eq=False)
class ImageRecord:
    """One annotated image: K instances with boxes (x, y, w, h) in pixels, category ids and names, masks."""

    path: Path
    height: int
    width: int
    boxes: np.ndarray
    labels: np.ndarray
    label_names: tuple[str, ...]
    iscrowd: np.ndarray
    masks: InstanceMasks
    image_id: int = -1

    def __len__(self) -> int:
        return len(self.boxes)

    def image(self) -> np.ndarray:
        """The image as H x W x 3 uint8 RGB; an image whose size differs from the annotation's is an error."""
        image = load_image(self.path)
        if image.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"{self.path}: image is {image.shape[0]}x{image.shape[1]}, annotation says {self.height}x{self.width}"
            )
        return image

    def mask_array(self) -> np.ndarray:
        """All K masks as a (K, H, W) bool array (all False for an instance without segmentation)."""
        out = np.zeros((len(self), self.height, self.width), dtype=bool)
        for k in range(len(self)):
            mask = self.masks[k]
            if mask is not None:
                out[k] = mask
        return out
