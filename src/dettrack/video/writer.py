"""Video writing with PyAV (H.264), atomic: the file appears under its name only when complete."""

import os
from pathlib import Path
from typing import Optional, Union

import numpy as np


class VideoWriter:
    """Write RGB frames to an H.264 MP4; `close()` finalises it (a crash leaves only a *.partial file)."""

    def __init__(self, path: Union[str, Path], fps: float = 25.0, crf: int = 23) -> None:
        import av

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.partial = self.path.with_name(f".{self.path.name}.partial")
        self.container = av.open(str(self.partial), mode="w", format="mp4")
        self.fps = fps
        self.crf = crf
        self.stream: Optional["av.VideoStream"] = None
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        import av
        import cv2

        if self.stream is None:
            height, width = frame.shape[:2]
            self.stream = self.container.add_stream("libx264", rate=round(self.fps) or 25)
            self.stream.width, self.stream.height = width - width % 2, height - height % 2
            self.stream.pix_fmt = "yuv420p"
            # one encoder thread, fast preset: the cores belong to the tracker running beside it
            self.stream.options = {"crf": str(self.crf), "preset": "ultrafast", "threads": "1"}
        frame = np.ascontiguousarray(frame[: self.stream.height, : self.stream.width])
        # BT.601 limited range, as the encoder's own conversion: OpenCV's is about 1 ms a 480p frame faster
        video_frame = av.VideoFrame.from_ndarray(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420), format="yuv420p")
        for packet in self.stream.encode(video_frame):
            self.container.mux(packet)
        self.frames += 1

    def close(self) -> Path:
        """Flush, close and move the file to its final name."""
        if self.stream is not None:
            for packet in self.stream.encode():
                self.container.mux(packet)
        self.container.close()
        if self.frames == 0:
            self.partial.unlink(missing_ok=True)
            raise ValueError(f"{self.path}: no frames were written")
        os.replace(self.partial, self.path)
        return self.path

    def abort(self) -> None:
        """Drop an unfinished file."""
        self.container.close()
        self.partial.unlink(missing_ok=True)

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
