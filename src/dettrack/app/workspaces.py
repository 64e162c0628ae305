"""One workspace per opened video: its own folder, frames and tracking runs, found only by its id.

Ids are random 128-bit tokens that only the page that opened the video holds, so two people using
one server never see each other's videos or results.
"""

import secrets
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional

from ..video.reader import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from ..video.seek import FrameAccess
from .jobs import TrackingJob


@dataclass
class Workspace:
    id: str
    folder: Path
    video: Path
    name: str
    frames: FrameAccess
    jobs: list[TrackingJob] = field(default_factory=list)

    @property
    def job(self) -> Optional[TrackingJob]:
        """The latest tracking run."""
        return self.jobs[-1] if self.jobs else None

    def info(self) -> dict:
        height, width = self.frames.size
        return {"id": self.id, "name": self.name, "frames": self.frames.count, "fps": self.frames.fps, "width": width, "height": height}


class Workspaces:
    """The open workspaces under `root` (root/<id>/: the uploaded video and one folder per run)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._open: dict[str, Workspace] = {}
        self._lock = threading.Lock()

    def from_upload(self, filename: str, stream: IO[bytes]) -> Workspace:
        """A workspace for an uploaded video file (kept in its folder)."""
        suffix = Path(filename).suffix.lower()
        if suffix not in VIDEO_SUFFIXES | IMAGE_SUFFIXES:
            raise ValueError(f"{filename}: not a video or image file (expected one of {', '.join(sorted(VIDEO_SUFFIXES | IMAGE_SUFFIXES))})")
        token, folder = self._new_folder()
        video = folder / f"upload{suffix}"
        with video.open("wb") as f:
            shutil.copyfileobj(stream, f, length=1 << 20)
        return self._add(token, folder, video, Path(filename).name)

    def from_path(self, path: str) -> Workspace:
        """A workspace for a video file or a folder of images on this machine (read where it is)."""
        video = Path(path).expanduser()
        if not video.exists():
            raise FileNotFoundError(f"{path}: no such file or folder on the machine running dettrack app")
        token, folder = self._new_folder()
        return self._add(token, folder, video, video.name)

    def get(self, token: str) -> Workspace:
        with self._lock:
            workspace = self._open.get(token)
        if workspace is None:
            raise KeyError(token)
        return workspace

    def _new_folder(self) -> tuple[str, Path]:
        token = secrets.token_hex(16)
        folder = self.root / token
        folder.mkdir()
        return token, folder

    def _add(self, token: str, folder: Path, video: Path, name: str) -> Workspace:
        try:
            frames = FrameAccess(video)
        except (ValueError, FileNotFoundError):
            shutil.rmtree(folder, ignore_errors=True)
            raise
        workspace = Workspace(token, folder, video, name, frames)
        with self._lock:
            self._open[token] = workspace
        return workspace
