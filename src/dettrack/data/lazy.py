"""Lazy per-frame lists: frames and masks are read from disk only when indexed."""

from collections.abc import Iterable
from collections.abc import Sequence as SequenceABC
from pathlib import Path
from typing import Optional, Union, overload

import numpy as np

from .images import PathLike, image_size, load_image, open_image


class NumberedPaths(SequenceABC):
    """The paths folder / pattern.format(n) for n in `numbers`, made when indexed (cheap for long videos)."""

    def __init__(self, folder: PathLike, pattern: str, numbers: range) -> None:
        self.folder, self.pattern, self.numbers = Path(folder), pattern, numbers

    def __len__(self) -> int:
        return len(self.numbers)

    @overload
    def __getitem__(self, index: int) -> Path: ...
    @overload
    def __getitem__(self, index: slice) -> "NumberedPaths": ...
    def __getitem__(self, index: Union[int, slice]) -> Union[Path, "NumberedPaths"]:
        if isinstance(index, slice):
            return NumberedPaths(self.folder, self.pattern, self.numbers[index])
        return self.folder / self.pattern.format(self.numbers[index])


class Frames(SequenceABC):
    """The frames of a video as file paths; `frames[i]` decodes frame i to H x W x 3 uint8 RGB."""

    def __init__(self, paths: Union[NumberedPaths, Iterable[PathLike]]) -> None:
        self.paths: SequenceABC[Path] = paths if isinstance(paths, NumberedPaths) else tuple(map(Path, paths))

    def __len__(self) -> int:
        return len(self.paths)

    @overload
    def __getitem__(self, index: int) -> np.ndarray: ...
    @overload
    def __getitem__(self, index: slice) -> "Frames": ...
    def __getitem__(self, index: Union[int, slice]) -> Union[np.ndarray, "Frames"]:
        if isinstance(index, slice):
            return Frames(self.paths[index])
        return load_image(self.paths[index])

    def size(self) -> tuple[int, int]:
        """(height, width) of the first frame, read from its header."""
        if not self.paths:
            raise ValueError("no frames")
        return image_size(self.paths[0])

    def __repr__(self) -> str:
        first = self.paths[0].name if self.paths else ""
        return f"Frames({len(self)} frames from {first!r})"


def read_label_image(path: PathLike) -> np.ndarray:
    """The raw values of an indexed (palette) or grayscale mask: palette indices or gray levels."""
    image = open_image(path)
    if image.mode not in ("P", "L", "I", "I;16"):
        raise ValueError(f"{path}: expected an indexed (palette) or grayscale mask, got mode {image.mode!r}")
    return np.asarray(image)


def decode_mask(path: PathLike, object_id: Optional[int] = None) -> np.ndarray:
    """An H x W bool mask from a PNG.

    With `object_id`, the pixels whose palette index (or gray value) equals it. Without,
    the foreground of a binary mask: any non-zero palette index, or for grayscale/RGB
    files values above 127 (values above 0 when the file only holds 0 and 1).
    """
    if object_id is not None:
        return read_label_image(path) == object_id
    image = open_image(path)
    if image.mode == "P":
        return np.asarray(image) != 0
    values = np.asarray(image.convert("L"))
    return values > (127 if values.max(initial=0) > 1 else 0)


class FrameMasks(SequenceABC):
    """Per-frame masks of one object; `masks[i]` is an H x W bool array, or None where frame i has no annotation."""

    def __init__(self, paths: Iterable[Optional[PathLike]], object_id: Optional[int] = None) -> None:
        self.paths: tuple[Optional[Path], ...] = tuple(None if p is None else Path(p) for p in paths)
        self.object_id = object_id

    def __len__(self) -> int:
        return len(self.paths)

    @overload
    def __getitem__(self, index: int) -> Optional[np.ndarray]: ...
    @overload
    def __getitem__(self, index: slice) -> "FrameMasks": ...
    def __getitem__(self, index: Union[int, slice]) -> Union[Optional[np.ndarray], "FrameMasks"]:
        if isinstance(index, slice):
            return FrameMasks(self.paths[index], self.object_id)
        path = self.paths[index]
        return None if path is None else decode_mask(path, self.object_id)

    def __repr__(self) -> str:
        labelled = sum(p is not None for p in self.paths)
        return f"FrameMasks({labelled}/{len(self)} frames annotated, object_id={self.object_id})"
