"""Cost of tracks the detector starts (`dettrack track --classes`) for 1, 5, 10 and 20 objects.

A 480x854 clip of real pixels: a coco_extra photo without the class, with N copies of one of the
class's cut-outs (the one the shipped detector scores highest) pasted in two rows of ten cells
and drifting. The copies are as tall as the detector sees well (about 190 px: 70 px in its 320 px
input), so that N copies start N tracks at the default --min-score; the table shows how many did.
For each N: the session's cost per frame (tracking.ClassTracker in this process) and the share
of it spent in the detector, how many tracks the detector started, and the whole `dettrack track
--classes` command's FPS (decoding and every default output included) against the same command
following one object given by --box (`dettrack track --box`), the cost of one tracked object,
with the lowest and highest ratio of the repeats' back-to-back pairs (the machine's noise).
Example:
    python benchmarks/class_tracks_speed.py --threads 2
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

import dettrack.detection
from dettrack.detection import COCO_NAMES, detect
from dettrack.loading import load_model
from dettrack.tracking import ClassTracker, ClassTracking, open_session
from dettrack.train.build import load_images
from dettrack.train.copy_paste_source import cutouts_from_records
from dettrack.types import DETECTION_SCORE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from class_tracks import HELD_OUT  # noqa: E402
from speed import command_fps  # noqa: E402

SIZE = (480, 854)  # frame height, width
CELL = (240, 85)  # grid step (height, width): 2 rows x 10 columns hold 20 objects


def clip(model, category: int, count: int, frames: int) -> tuple[list[np.ndarray], tuple[float, float, float, float]]:
    """`frames` frames with `count` drifting copies of the category's best-detected cut-out, and
    the first copy's box on the first frame."""
    records = load_images([HELD_OUT], "clips")
    photo = next(r for r in records if category not in set(r.labels.tolist()))
    background = np.asarray(Image.fromarray(photo.image()).resize(SIZE[::-1]))
    cutouts = [c for c in cutouts_from_records(records) if c.category == category and c.mask.sum() >= 2000]
    sprites = [c.rgba(0) for c in cutouts]
    sprites = [s.resize((round(s.width * scale), round(s.height * scale))) for s in sprites for scale in [min(CELL[1] * 0.8 / s.width, CELL[0] * 0.8 / s.height)]]
    best = max(sprites, key=lambda s: _score(model, background, s, category))
    out = []
    for t in range(frames):
        frame = Image.fromarray(background.copy())
        for k in range(count):
            x, y = (k % 10) * CELL[1] + t // 3, 10 + (k // 10) * CELL[0] + t // 4
            frame.paste(best, (x, y), best)
        out.append(np.asarray(frame))
    left, top, right, bottom = best.getchannel("A").getbbox()
    return out, (float(left), 10.0 + top, float(right - left), float(bottom - top))


def _score(model, background: np.ndarray, sprite: Image.Image, category: int) -> float:
    frame = Image.fromarray(background.copy())
    frame.paste(sprite, (300, 150), sprite)
    found = detect(model, np.asarray(frame), score=0.05, classes=[category], masks=False)
    return float(found.scores.max()) if len(found) else 0.0


def session_cost(model, frames: list[np.ndarray], category: int, min_score: float) -> tuple[float, float, int]:
    """Seconds per frame of ClassTracker over the frames, the detector's share of them, tracks started."""
    spent = [0.0]
    timed = dettrack.detection.detect

    def detect_timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return timed(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    tracker = ClassTracker(open_session(model), ClassTracking((category,), min_score=min_score))
    dettrack.detection.detect = detect_timed
    try:
        started = time.perf_counter()
        for _ in tracker.track(frames):
            pass
        total = time.perf_counter() - started
    finally:
        dettrack.detection.detect = timed
    return total / len(frames), spent[0] / total, len(tracker.names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--category", default="person")
    parser.add_argument("--min-score", type=float, default=DETECTION_SCORE)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="whole-command runs per row, alternated; the median is shown (default: %(default)s)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    model = load_model(args.model, "cpu")
    category = COCO_NAMES.index(args.category)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        one, box = clip(model, category, 1, args.frames)
        clips = {count: clip(model, category, count, args.frames)[0] for count in args.counts}
        sessions = {count: session_cost(model, frames, category, args.min_score) for count, frames in clips.items()}
        options = ["--classes", args.category, "--min-score", str(args.min_score)]
        timed: dict[int, list[float]] = {0: [], **{count: [] for count in args.counts}}  # 0: one object by --box
        for _ in range(args.repeats):  # alternated, so that the machine's drift reaches every row alike
            timed[0].append(command_fps(args.model, one, [box], args.threads, Path(folder) / "box")[0])
            for count, frames in clips.items():
                timed[count].append(command_fps(args.model, frames, [], args.threads, Path(folder) / f"n{count}", options)[0])
        base = statistics.median(timed[0])
        for count in args.counts:
            per_frame, share, started = sessions[count]
            ratios = [one / fps for one, fps in zip(timed[0], timed[count])]  # each repeat's pair, run back to back
            rows.append((count, started, per_frame, share, statistics.median(timed[count]), min(ratios), max(ratios)))
    print(f"\n`dettrack track --classes {args.category} --min-score {args.min_score}` on {args.frames} frames of {SIZE[1]}x{SIZE[0]}, detections every 10 frames, "
          f"{args.threads} threads; one object by --box: {base:.1f} FPS (whole command; FPS are medians of {args.repeats} runs, alternated)\n")
    print("| objects pasted | tracks started | session ms / frame | detector's share | whole command FPS | cost relative to one --box object | each repeat's ratio, lowest to highest |")
    print("|---|---|---|---|---|---|---|")
    for count, started, per_frame, share, fps, low, high in rows:
        print(f"| {count} | {started} | {1000 * per_frame:.1f} | {share:.0%} | {fps:.1f} | {base / fps:.2f}x | {low:.2f}x to {high:.2f}x |")


if __name__ == "__main__":
    main()
