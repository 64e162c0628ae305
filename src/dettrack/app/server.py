"""The web page's server (Flask): open a video, scrub, detect, track, watch, download.

Routes (every one but the page itself under /api/<workspace id>/ once a video is open):
  POST /api/open                 a video: an uploaded file ("video") or a path on this machine ("path")
  GET  /api/<id>/frame/<n>       frame n as JPEG; ?overlay=1 draws the latest run's answer on it
  GET  /api/<id>/detect/<n>      the shipped detector's objects on frame n (click one to track it)
  POST /api/<id>/track           {"start": n, "end": m or null, "boxes": [[x, y, w, h], ...], "classes": [names]}
  POST /api/<id>/stop            stop the running job (its outputs are kept up to the last frame)
  GET  /api/<id>/status?since=k  state, progress and the per-frame rows from row k on
  GET  /api/<id>/download/<name> tracks.json, overlay.mp4 or results.zip (every output)
Bad input is a 400 with {"error": message}; an unknown workspace id is a 404.
"""

import io
import threading
import zipfile
from pathlib import Path
from typing import Any, Optional

import numpy as np
from flask import Flask, abort, jsonify, request, send_file
from PIL import Image

from ..io_utils import atomic_write
from ..types import DETECTION_SCORE
from ..video.draw import colour_of
from .jobs import JobRunner, TrackingJob
from .workspaces import Workspace, Workspaces

STATIC = Path(__file__).parent / "static"
# object colours the page gets (it cycles through them beyond)
COLOURS_SENT = 32
# most detections listed on a frame (best first)
MAX_DETECTIONS = 50


def create_app(model: Any, workdir: Path, presence_threshold: Optional[float] = None) -> Flask:
    """The page's Flask app over one loaded model; every opened video and run lives under `workdir`."""
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    workspaces = Workspaces(workdir)
    model_lock = threading.Lock()
    runner = JobRunner(model, model_lock)
    app.extensions["dettrack"] = {"workspaces": workspaces, "runner": runner}
    if presence_threshold is None:
        presence_threshold = float((getattr(model, "tracking_defaults", None) or {}).get("presence_threshold", 0.3))

    def workspace(token: str) -> Workspace:
        try:
            return workspaces.get(token)
        except KeyError:
            abort(404, description="no such video here: open it again")

    @app.errorhandler(ValueError)
    @app.errorhandler(FileNotFoundError)
    def bad_input(err: Exception):
        return jsonify(error=str(err)), 400

    @app.errorhandler(404)
    def not_found(err: Any):
        return jsonify(error=getattr(err, "description", "not found")), 404

    @app.get("/")
    def page():
        return send_file(STATIC / "index.html")

    @app.post("/api/open")
    def open_video():
        upload = request.files.get("video")
        if upload is not None and upload.filename:
            opened = workspaces.from_upload(upload.filename, upload.stream)
        else:
            path = (request.form.get("path") or (request.get_json(silent=True) or {}).get("path") or "").strip()
            if not path:
                raise ValueError("choose a video file to upload or give the path of one on this machine")
            opened = workspaces.from_path(path)
        colours = [colour_of(k + 1) for k in range(COLOURS_SENT)]  # object k's colour in the overlay
        return jsonify(**opened.info(), presence_threshold=presence_threshold, colours=colours)

    @app.get("/api/<token>/frame/<int:index>")
    def frame(token: str, index: int):
        ws = workspace(token)
        image = ws.frames.frame(index)
        if request.args.get("overlay") and ws.job is not None:
            drawn = ws.job.overlay(image, index)
            image = image if drawn is None else drawn
        return _jpeg(image)

    @app.get("/api/<token>/detect/<int:index>")
    def detect(token: str, index: int):
        from ..detection import detect as run_detector

        ws = workspace(token)
        image = ws.frames.frame(index)
        with model_lock:
            found = run_detector(model, image, score=DETECTION_SCORE)
        objects = [
            {"box": [round(float(v), 1) for v in box], "name": name, "score": round(float(score), 3)}
            for box, name, score in zip(found.boxes[:MAX_DETECTIONS], found.names, found.scores)
        ]
        return jsonify(frame=index, objects=objects)

    @app.post("/api/<token>/track")
    def track(token: str):
        ws = workspace(token)
        if ws.job is not None and ws.job.state in ("queued", "running"):
            raise ValueError("a tracking run is going on for this video: stop it first")
        body = request.get_json(silent=True) or {}
        start, end = _frame_range(body, ws.frames.count)
        classes = _classes(body.get("classes"), model)
        boxes = _boxes(body.get("boxes"), ws.frames.size, required=not classes)
        job = TrackingJob(ws.video, ws.folder / f"run{len(ws.jobs) + 1}", boxes, start, end, classes)
        ws.jobs.append(job)
        runner.submit(job)
        return jsonify(job.status())

    @app.post("/api/<token>/stop")
    def stop(token: str):
        job = workspace(token).job
        if job is not None:
            job.stop_requested.set()
        return jsonify(state=None if job is None else job.state)

    @app.get("/api/<token>/status")
    def status(token: str):
        job = workspace(token).job
        if job is None:
            return jsonify(state="idle")
        return jsonify(job.status(max(0, request.args.get("since", 0, type=int))))

    @app.get("/api/<token>/download/<name>")
    def download(token: str, name: str):
        job = workspace(token).job
        if job is None or name not in job.files():
            abort(404, description=f"{name}: nothing to download yet")
        if name == "results.zip":
            return send_file(_zip(job.out), mimetype="application/zip", as_attachment=True, download_name="dettrack_results.zip")
        return send_file(job.out / name, as_attachment=True, download_name=name, conditional=True)

    return app


def _frame_range(body: dict, count: int) -> tuple[int, int]:
    start, end = body.get("start", 0), body.get("end")
    end = count if end in (None, "") else end
    if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end <= count:
        raise ValueError(f"frames: start {start!r} and end {end!r} must be whole numbers with 0 <= start < end <= {count} (the video's frames)")
    return start, end


def _classes(names: Any, model: Any) -> tuple[str, ...]:
    """Class names (a list, or one comma-separated string) whose every object the detector should
    start a track for, checked against the model's classes (detection.class_ids)."""
    from ..detection import class_ids

    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not names:
        return ()
    if not isinstance(names, list):
        raise ValueError(f"classes must be a list of class names, got {names!r}")
    class_ids(names, model)
    return tuple(names)


def _boxes(boxes: Any, size: tuple[int, int], required: bool = True) -> list[tuple[float, float, float, float]]:
    """The objects' boxes, each four numbers x, y, w, h with some area inside the frame (none
    needed when the detector starts the tracks)."""
    from ..tracking.inputs import check_box

    if boxes in (None, []) and not required:
        return []
    if not isinstance(boxes, list) or not boxes:
        raise ValueError("no object to track: draw a box, click a detected object or name classes to track")
    for k, box in enumerate(boxes):
        if not isinstance(box, list):
            raise ValueError(f"object {k}: box must be four numbers x, y, w, h, got {box!r}")
        check_box(box, size, name=f"object {k}")
    return [tuple(float(v) for v in box) for box in boxes]  # type: ignore[misc]


def _jpeg(image: np.ndarray):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=88)
    buffer.seek(0)
    response = send_file(buffer, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    return response


def _zip(folder: Path) -> Path:
    """Every finished output of a run (no partial files) in one zip beside the run's folder, made
    once (a finished run's outputs do not change) and written atomically."""
    path = folder.with_suffix(".zip")
    if not path.is_file():
        with atomic_write(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.rglob("*")):
                if file.is_file() and not file.name.startswith("."):
                    archive.write(file, file.relative_to(folder))
    return path
