"""Any frame of a video file or an image folder by its index, for pages that scrub through a video.

A video is indexed once by demuxing its packets (no decoding): frame i is the packet of the i-th
smallest timestamp, the same numbering as FrameSource's decoding in order. Reading frame i seeks
to the key frame before it and decodes forward; reading the next few frames continues from where
the last read stopped, so playing through a video does not seek on every frame.
"""

import threading
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from .reader import FrameSource, Source, _ffmpeg_reason, read_image

# how far ahead of the last read frame a read decodes forward instead of seeking
FORWARD_LIMIT = 48


class FrameAccess:
    """Random access to the frames of a video file or an image folder (thread-safe).

    count, fps and size ((height, width)) are known after construction; frame(i) returns an
    H x W x 3 uint8 RGB array. Cameras and streams cannot be scrubbed and are refused.
    """

    def __init__(self, path: Source) -> None:
        source = FrameSource(path, same_size=False)
        if source.kind == "capture":
            raise ValueError(f"{path}: a camera or stream cannot be scrubbed; give a video file or a folder of images")
        self.path = Path(path)
        self.fps = source.fps
        self.files = source.files
        self._lock = threading.Lock()
        self._container = None
        self._decoded: Optional[Iterator] = None
        self._position = -1  # index of the frame the decoder returned last
        if self.files is not None:
            self.count = len(self.files)
        else:
            self._timestamps = self._index()
            self.count = len(self._timestamps)
            if not self.count:
                raise ValueError(f"{path}: the video holds no frames")
        self.size = self.frame(0).shape[:2]

    def frame(self, index: int) -> np.ndarray:
        """Frame `index` (0-based) as H x W x 3 uint8 RGB; a ValueError names an index out of range."""
        if not 0 <= index < self.count:
            raise ValueError(f"{self.path}: no frame {index} (it has frames 0-{self.count - 1})")
        if self.files is not None:
            return read_image(self.files[index])
        with self._lock:
            return self._video_frame(index)

    def close(self) -> None:
        with self._lock:
            if self._container is not None:
                self._container.close()
                self._container = None

    def _index(self) -> list[int]:
        import av

        try:
            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                return sorted(p.pts for p in container.demux(stream) if p.pts is not None and p.size)
        except av.FFmpegError as err:
            raise ValueError(f"{self.path}: not a readable video: it looks cut short or damaged (FFmpeg: {_ffmpeg_reason(err)})") from err

    def _video_frame(self, index: int) -> np.ndarray:
        import av

        target = self._timestamps[index]
        try:
            if self._decoded is None or not self._position < index <= self._position + FORWARD_LIMIT:
                if self._container is None:
                    self._container = av.open(str(self.path))
                stream = self._container.streams.video[0]
                self._container.seek(target, stream=stream, backward=True)
                self._decoded = self._container.decode(stream)
            for frame in self._decoded:
                if frame.pts is None or frame.pts >= target:
                    self._position = index
                    return frame.to_ndarray(format="rgb24")
        except av.FFmpegError as err:
            self._decoded = None
            raise ValueError(f"{self.path}: frame {index} cannot be decoded (FFmpeg: {_ffmpeg_reason(err)})") from err
        self._decoded = None
        raise ValueError(f"{self.path}: frame {index} cannot be decoded (the video ends before it)")
