"""Frame sources: video files (PyAV), image folders, cameras and stream URLs (OpenCV).

Every source yields H x W x 3 uint8 RGB frames one at a time (a video is never held in
memory whole), checks that the frame size stays the same, and reports problems as a
ValueError naming the input and the frame.
"""

import re
import warnings
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np
from PIL import Image, UnidentifiedImageError

VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}

Source = Union[str, Path, int]


def _ffmpeg_reason(err: Exception) -> str:
    """FFmpeg's reason for an error, without the raw error number PyAV puts in front of it."""
    return str(getattr(err, "strerror", None) or err)


def natural_key(name: str) -> list:
    """Sort key that puts 2.jpg before 10.jpg."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


class FrameSource:
    """Iterate over the frames [start, end) of a video file, an image file, a folder of images,
    a camera (an int index) or a stream URL; `fps` and `count` (frames in the source) when known.

    same_size=False lets the frames of a folder differ in size (a folder of photos to detect
    in); tracking keeps the default, which refuses a frame whose size differs from the first.
    A video that delivers fewer frames than its container announced ends with a UserWarning
    (it may be cut short); `ended_early` then holds the message. A container that announces no
    frame count (Matroska, WebM) is held to the frames its duration implies (`expected`).
    """

    def __init__(self, source: Source, start: int = 0, end: Optional[int] = None, same_size: bool = True) -> None:
        if start < 0 or (end is not None and end <= start):
            raise ValueError(f"frame range [{start}, {end}) is empty or negative")
        self.source = source
        self.start, self.end = start, end
        self.same_size = same_size
        self.name = str(source)
        self.fps: float = 25.0
        self.count: Optional[int] = None
        self.expected: Optional[int] = None  # frames implied by a video's duration, where no count is announced
        self.files: Optional[list[Path]] = None  # the image files of an image or folder source, in order
        self.ended_early: Optional[str] = None
        self._open()

    def _open(self) -> None:
        src = self.source
        if isinstance(src, int) or (isinstance(src, str) and "://" in src):
            self.kind = "capture"
            return
        if not isinstance(src, (str, Path)):
            raise ValueError(f"{src!r}: expected a video file, an image, a folder of images, a camera index or a stream URL")
        path = Path(src)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        if path.is_dir():
            self.kind = "images"
            self.files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=lambda p: natural_key(p.name))
            if not self.files:
                raise ValueError(f"{path}: folder holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        elif path.suffix.lower() in IMAGE_SUFFIXES:
            self.kind = "images"
            self.files = [path]
        else:
            self.kind = "video"
            self._probe_video(path)
            return
        self.count = len(self.files)

    def _probe_video(self, path: Path) -> None:
        import av

        try:
            with av.open(str(path)) as container:
                if not container.streams.video:
                    raise ValueError(f"{path}: has no video stream")
                stream = container.streams.video[0]
                self.fps = float(stream.average_rate or 25)
                self.count = stream.frames or None
                if self.count is None and container.duration:
                    self.expected = round(container.duration / av.time_base * self.fps)
        except av.FFmpegError as err:
            raise ValueError(f"{path}: not a readable video: it looks cut short or damaged (FFmpeg: {_ffmpeg_reason(err)})") from err

    def __iter__(self) -> Iterator[np.ndarray]:
        frames = {"video": self._video, "images": self._images, "capture": self._capture}[self.kind]()
        size = None
        produced = 0
        for index, frame in frames:
            if index < self.start:
                continue
            if self.end is not None and index >= self.end:
                break
            if size is None:
                size = frame.shape[:2]
            elif self.same_size and frame.shape[:2] != size:
                raise ValueError(
                    f"{self.name}: frame {index} is {frame.shape[1]}x{frame.shape[0]} but earlier frames are {size[1]}x{size[0]}"
                )
            produced += 1
            yield frame
        if produced == 0:
            raise ValueError(f"{self.name}: no frames" + (f" in the range starting at frame {self.start}" if self.start else ""))
        self._check_length(produced)

    def _check_length(self, produced: int) -> None:
        """Warn when a video ends before the frame count its container announced, or (with no count)
        well before the frames its duration implies (a frame or 2% of slack: durations are rounded)."""
        if self.kind != "video":
            return
        last = self.start + produced - 1
        if self.count is not None:
            if produced < min(self.count, self.end or self.count) - self.start:
                self.ended_early = f"{self.name}: the video ended after frame {last}, but its container announced {self.count} frames"
        elif self.expected is not None:
            wanted = min(self.expected, self.end or self.expected) - self.start
            if produced < wanted - max(1, round(0.02 * wanted)):
                seconds = self.expected / self.fps
                self.ended_early = (
                    f"{self.name}: the video ended after frame {last}, but its duration ({seconds:.1f} s at {self.fps:g} fps) "
                    f"implies about {self.expected} frames"
                )
        if self.ended_early:
            self.ended_early += "; the file may be cut short or damaged"
            warnings.warn(self.ended_early, stacklevel=2)

    def _video(self) -> Iterator[tuple[int, np.ndarray]]:
        import av

        index = -1
        try:
            with av.open(str(self.source)) as container:
                for index, frame in enumerate(container.decode(video=0)):
                    yield index, frame.to_ndarray(format="rgb24")
        except av.FFmpegError as err:
            where = f"after frame {index}" if index >= 0 else "at its first frame"
            announced = f" (its container announced {self.count} frames)" if self.count else ""
            raise ValueError(f"{self.source}: the video is damaged or cut short {where}{announced} (FFmpeg: {_ffmpeg_reason(err)})") from err

    def _images(self) -> Iterator[tuple[int, np.ndarray]]:
        for index in range(self.start, len(self.files) if self.end is None else min(self.end, len(self.files))):
            yield index, read_image(self.files[index])

    def _capture(self) -> Iterator[tuple[int, np.ndarray]]:
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
                yield read, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                read += 1
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
