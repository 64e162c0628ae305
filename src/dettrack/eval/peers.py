"""One tracker interface for dettrack and the trackers it is measured against.

Every tracker here is used the same way: `init(frame, box_xywh)` on the first frame, then
`update(frame) -> TrackResult(box, score, present, mask)` once per frame. Frames are
H x W x 3 uint8 RGB, boxes (x, y, w, h) in pixels. The benchmark runner only sees this
interface, so dettrack and its peers run under exactly the same protocol:

- dettrack / dettrack-temporal: the network (a model of either family, a checkpoint path, 'pretrained' or a
  backbone name), without / with the paper's temporal smoothness.
- csrt, kcf, mil: OpenCV's correlation-filter and multiple-instance trackers. They give no
  confidence: score 1 and present while OpenCV reports success, else score 0, absent, and the
  last box kept.
- nanotrack: OpenCV's NanoTrack (a small Siamese network) from a folder holding its two ONNX
  files; its tracking score is the confidence.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, Sequence, Union

import cv2
import numpy as np

from ..types import Frame, TrackResult

if TYPE_CHECKING:
    from ..model.interface import TrackingModel

TRACKERS = ("dettrack", "dettrack-temporal", "csrt", "kcf", "mil", "nanotrack")

_OPENCV = {"csrt": "TrackerCSRT_create", "kcf": "TrackerKCF_create", "mil": "TrackerMIL_create"}


class PeerTracker(Protocol):
    """What the runner needs of a tracker."""

    name: str

    def init(self, frame: np.ndarray, box_xywh: Sequence[float]) -> None: ...

    def update(self, frame: np.ndarray) -> TrackResult: ...


class DetTrackPeer:
    """dettrack through its tracking session (open_session) with one object; settings left None
    take the model's tracking_defaults."""

    def __init__(
        self,
        model: "TrackingModel",
        smoothing: bool = False,
        presence_threshold: Optional[float] = None,
        name: str = "dettrack",
        tracking: Optional[dict[str, Any]] = None,
    ) -> None:
        self.model, self.name = model, name
        self.options = dict(tracking or {})
        if smoothing:
            self.options["smoothing"] = True
        if presence_threshold is not None:
            self.options["presence_threshold"] = presence_threshold
        self.smoothing = bool(self.options.get("smoothing"))
        _open_session(model, self.options)  # bad settings fail here, not mid-benchmark
        self.session: Optional[Any] = None

    def init(self, frame: Frame, box_xywh: Sequence[float]) -> None:
        self.session = _open_session(self.model, self.options)
        self.session.add(frame, box_xywh, 0)

    def update(self, frame: Frame) -> TrackResult:
        if self.session is None:
            raise RuntimeError("call init(frame, box) before update(frame)")
        return self.session.update(frame)[0]


class OpenCVPeer:
    """An OpenCV tracker (a fresh one from `create` on every init).

    scored=False (CSRT, KCF, MIL): score 1 while OpenCV reports success, else 0; scored=True
    (NanoTrack): OpenCV's tracking score. Present when successful and score >= presence_threshold;
    when OpenCV loses the object the last box is kept as the best guess.
    """

    def __init__(
        self, name: str, create: Callable[[], Any], scored: bool = False, presence_threshold: float = 0.5
    ) -> None:
        self.name, self._create, self.scored, self.presence_threshold = name, create, scored, presence_threshold
        self._tracker: Any = None
        self._last: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0)

    def init(self, frame: np.ndarray, box_xywh: Sequence[float]) -> None:
        self._tracker = self._create()
        self._tracker.init(_bgr(frame), _rect(box_xywh, frame.shape))
        self._last = tuple(float(v) for v in box_xywh)

    def update(self, frame: np.ndarray) -> TrackResult:
        if self._tracker is None:
            raise RuntimeError("call init(frame, box) before update(frame)")
        ok, rect = self._tracker.update(_bgr(frame))
        ok = bool(ok) and rect[2] > 0 and rect[3] > 0
        if ok:
            self._last = tuple(float(v) for v in rect)
        score = (float(self._tracker.getTrackingScore()) if self.scored else 1.0) if ok else 0.0
        return TrackResult(self._last, score, ok and score >= self.presence_threshold, None)


def nanotrack(folder: Union[str, Path], presence_threshold: float = 0.5) -> OpenCVPeer:
    """OpenCV's NanoTrack from a folder with its backbone and neck/head ONNX files."""
    backbone, neckhead = nanotrack_files(folder)

    def create() -> Any:
        params = cv2.TrackerNano_Params()
        params.backbone, params.neckhead = str(backbone), str(neckhead)
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # OpenCV 5 warns twice per tracker about its DNN target
        try:
            return cv2.TrackerNano_create(params)
        except cv2.error as err:
            raise ValueError(f"OpenCV cannot load NanoTrack from {backbone} and {neckhead}: {err}") from None
        finally:
            cv2.utils.logging.setLogLevel(level)

    return OpenCVPeer("nanotrack", create, scored=True, presence_threshold=presence_threshold)


def nanotrack_files(folder: Union[str, Path]) -> tuple[Path, Path]:
    """The backbone and neck/head ONNX files of a NanoTrack folder (names containing 'backbone' and 'head')."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--nanotrack {folder}: folder not found (it should hold NanoTrack's two ONNX files)")
    onnx = sorted(folder.glob("*.onnx"))
    backbone = [p for p in onnx if "backbone" in p.name.lower()]
    head = [p for p in onnx if "head" in p.name.lower() and p not in backbone]
    if len(backbone) != 1 or len(head) != 1:
        raise ValueError(
            f"{folder}: expected one *backbone*.onnx and one *head*.onnx (NanoTrack), found {[p.name for p in onnx]}"
        )
    return backbone[0], head[0]


def make_tracker(
    name: str,
    model: Union["TrackingModel", str, None] = None,
    device: str = "cpu",
    presence_threshold: Optional[float] = None,
    nanotrack_folder: Union[str, Path, None] = None,
    tracking: Optional[dict[str, Any]] = None,
) -> PeerTracker:
    """A tracker by name (see TRACKERS).

    model: for dettrack, a model of either family or a spec for dettrack.load_model ('pretrained', a
    checkpoint path or a backbone name); nanotrack_folder: the folder of NanoTrack's ONNX files.
    presence_threshold: None takes dettrack's model defaults (0.5 for the peers);
    tracking: more tracking settings for dettrack (TrackingSettings, e.g. {"window_influence": 0}).
    """
    if name in ("dettrack", "dettrack-temporal"):
        model = resolve_model(model, device)
        return DetTrackPeer(model, name == "dettrack-temporal", presence_threshold, name, tracking)
    if name in _OPENCV:
        return OpenCVPeer(name, getattr(cv2, _OPENCV[name]))
    if name == "nanotrack":
        if nanotrack_folder is None:
            raise ValueError("nanotrack needs the folder of its ONNX models (--nanotrack DIR)")
        return nanotrack(nanotrack_folder, 0.5 if presence_threshold is None else presence_threshold)
    raise ValueError(f"unknown tracker {name!r}; choose from {', '.join(TRACKERS)}")


def _open_session(model: "TrackingModel", options: dict[str, Any]) -> Any:
    """dettrack's session (torch comes with it: only when dettrack itself runs)."""
    from ..tracking.session import open_session

    return open_session(model, **options)


def resolve_model(model: Union["TrackingModel", str, None], device: str = "cpu") -> "TrackingModel":
    """A model of either family in eval mode: as given, or loaded from a spec ('pretrained' when None) by load_model."""
    if model is not None and not isinstance(model, str):
        return model.eval()  # type: ignore[attr-defined]
    from ..loading import load_model  # torch: only once a model is needed

    return load_model(model or "pretrained", device)


def _bgr(frame: np.ndarray) -> np.ndarray:
    """OpenCV wants BGR; the project's frames are RGB."""
    if not (isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3):
        raise ValueError(f"expected an H x W x 3 uint8 RGB frame, got {getattr(frame, 'shape', type(frame))}")
    return cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)


def _rect(box_xywh: Sequence[float], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """An integer OpenCV rectangle inside the image, at least one pixel wide and high."""
    height, width = shape[:2]
    x, y, w, h = (float(v) for v in box_xywh)
    if not (np.isfinite([x, y, w, h]).all() and w > 0 and h > 0):
        raise ValueError(f"box ({x}, {y}, {w}, {h}) must be finite with positive width and height")
    x1, y1 = min(max(round(x), 0), width - 1), min(max(round(y), 0), height - 1)
    x2, y2 = min(max(round(x + w), x1 + 1), width), min(max(round(y + h), y1 + 1), height)
    return x1, y1, x2 - x1, y2 - y1
