"""Frame sources: video files (PyAV), image folders, cameras and stream URLs (OpenCV).

Every source yields H x W x 3 uint8 RGB frames one at a time (a video is never held in
memory whole), checks that the frame size stays the same, and reports problems as a
ValueError naming the input and the frame.
"""

import re
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np
from PIL import Image, UnidentifiedImageError

VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}

Source = Union[str, Path, int]


def natural_key(name: str) -> list:
    """Sort key that puts 2.jpg before 10.jpg."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


class FrameSource:
    """Iterate over the frames [start, end) of a source; `fps`, `size` and `count` when known."""

    def __init__(self, source: Source, start: int = 0, end: Optional[int] = None) -> None:
        if start < 0 or (end is not None and end <= start):
            raise ValueError(f"frame range [{start}, {end}) is empty or negative")
        self.source = source
        self.start, self.end = start, end
        self.name = str(source)
        self.fps: float = 25.0
        self.count: Optional[int] = None
        self._open()

    def _open(self) -> None:
        src = self.source
        if isinstance(src, int) or (isinstance(src, str) and "://" in src):
            self.kind = "capture"
            return
        if isinstance(src, (str, Path)):
            path = Path(src)
            if not path.exists():
                raise FileNotFoundError(f"{path}: no such file or folder")
            if path.is_dir():
                self.kind = "folder"
                self.files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=lambda p: natural_key(p.name))
                if not self.files:
                    raise ValueError(f"{path}: folder holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
                self.count = len(self.files)
                return
            self.kind = "video"
            self._probe_video(path)
            return
        raise ValueError(f"{src!r}: expected a video file, a folder of images, a camera index or a stream URL")

    def _probe_video(self, path: Path) -> None:
        import av

        try:
            with av.open(str(path)) as container:
                if not container.streams.video:
                    raise ValueError(f"{path}: has no video stream")
                stream = container.streams.video[0]
                self.fps = float(stream.average_rate or 25)
                self.count = stream.frames or None
        except av.FFmpegError as err:
            raise ValueError(f"{path}: not a readable video ({err})") from err

    def __iter__(self) -> Iterator[np.ndarray]:
        frames = {"video": self._video, "folder": self._folder, "capture": self._capture}[self.kind]()
        size = None
        produced = 0
        for index, frame in enumerate(frames):
            if index < self.start:
                continue
            if self.end is not None and index >= self.end:
                break
            if size is None:
                size = frame.shape[:2]
            elif frame.shape[:2] != size:
                raise ValueError(
                    f"{self.name}: frame {index} is {frame.shape[1]}x{frame.shape[0]} but earlier frames are {size[1]}x{size[0]}"
                )
            produced += 1
            yield frame
        if produced == 0:
            raise ValueError(f"{self.name}: no frames" + (f" in the range starting at frame {self.start}" if self.start else ""))

    def _video(self) -> Iterator[np.ndarray]:
        import av

        try:
            with av.open(str(self.source)) as container:
                for frame in container.decode(video=0):
                    yield frame.to_ndarray(format="rgb24")
        except av.FFmpegError as err:
            raise ValueError(f"{self.source}: video is corrupt or unreadable ({err})") from err

    def _folder(self) -> Iterator[np.ndarray]:
        for path in self.files:
            yield read_image(path)

    def _capture(self) -> Iterator[np.ndarray]:
        import cv2

        capture = cv2.VideoCapture(self.source)
        if not capture.isOpened():
            raise ValueError(f"{self.name}: cannot open the camera or stream")
        self.fps = capture.get(cv2.CAP_PROP_FPS) or self.fps
        expected = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        read = 0
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                read += 1
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        finally:
            capture.release()
        if read and (expected <= 0 or read < expected) and (self.end is None or read < self.end):
            raise ValueError(f"{self.name}: the stream stopped delivering frames after frame {read - 1}")


def read_image(path: Union[str, Path]) -> np.ndarray:
    """An image file as H x W x 3 uint8 RGB; grayscale, palette and RGBA are converted, 16-bit refused."""
    try:
        with Image.open(path) as image:
            if image.mode in ("I;16", "I;16B", "I;16L", "I", "F") or image.mode.startswith("I;16"):
                raise ValueError(f"{path}: {image.mode} ({'16-bit' if '16' in image.mode else '32-bit'}) image; convert it to 8-bit RGB")
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as err:
        raise ValueError(f"{path}: not a readable image ({err})") from err
