"""Every object of a class, started by the detector: dettrack's class tracks beside ByteTrack on the same detector.

Clips: copy-paste clips (real COCO cut-outs animated over real photos) made only from the val2017
images of coco_extra, which no recipe trains on, built to be hard for association by boxes: 3 to
6 instances of one category (every cut-out of the clip is of that category), 1 or 2 of them copies
of one cut-out (identical look-alikes), moving widely so that they cross and hide each other, one
that leaves the frame and comes back, over a photo that shows no instance of the category. The
ground truth is every pasted object on every frame where it counts as present (its visible mask's
box), by construction. Association is what is measured, so a clip is kept only when the detector
finds at least half of its objects on the first frame (IoU >= 0.5 at --min-score; else it is
drawn again): clips of objects this detector cannot see measure the detector, for both alike.

Trackers, both on the shipped model's detections of that category:
- dettrack: `dettrack track --classes` (tracking.ClassTracker): detections every --every frames
  start tracks, each object's template follows it in between, absent tracks end after --max-absent;
- ByteTrack (supervision's implementation): the detections of every frame (score >= 0.1), associated
  by IoU and a Kalman filter in two stages, as detect-then-track tools do.
Scores: HOTA (with DetA, AssA; TrackEval's procedure, checked against it), IDF1, MOTA and ID
switches (motmetrics) from dettrack.eval.mot, per clip and combined, and the milliseconds per
frame each took (detector included).
Example:
    python benchmarks/class_tracks.py --clips 12 --frames 60
"""

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from dettrack.data.copy_paste import SynthConfig, synthesize_sequence
from dettrack.detection import COCO_NAMES, detect
from dettrack.boxes import iou_matrix
from dettrack.eval.mot import MotScores, mot_scores
from dettrack.loading import load_model
from dettrack.tracking import ClassTracker, ClassTracking, open_session
from dettrack.train.build import load_images
from dettrack.train.copy_paste_source import cutouts_from_records

SHARED = Path(__file__).resolve().parents[2] / "shared"
HELD_OUT = {"format": "coco", "root": str(SHARED / "data" / "coco_extra"), "annotations": "annotations/instances.json", "images": "images", "split": "val2017"}
# clips from images the shipped model trained on, for choosing settings (--source train)
TRAIN = {"format": "coco", "root": str(SHARED / "data" / "coco128"), "annotations": "annotations/instances_train2017.json", "images": "train2017"}
SCENE = SynthConfig(
    target_size=(0.15, 0.3), distractor_size=(0.15, 0.3), num_others=(0, 0), num_same_category=(1, 3), num_same_instance=(1, 2),
    motion=0.35, exit_prob=1.0, exit_frames=(5.0, 15.0), occluder_prob=0.0,
)
MIN_AREA = 1500  # cut-outs big enough for the detector (pixels of mask)
BYTETRACK_SCORE = 0.1  # ByteTrack's second stage associates low-score detections too


def clips(count: int, frames: int, seed: int, model=None, min_score: float = 0.3, source: dict = HELD_OUT) -> list:
    """Clips of one category each (drawn among those with at least 3 large cut-outs), over photos
    without it; with a model, only clips whose first frame it detects at least half of (see above)."""
    records = load_images([source], "clips")
    cutouts = [c for c in cutouts_from_records(records) if c.mask.sum() >= MIN_AREA]
    by_category: dict[int, list] = {}
    for c in cutouts:
        by_category.setdefault(c.category, []).append(c)
    categories = sorted(k for k, v in by_category.items() if len(v) >= 3)
    rng = np.random.default_rng(seed)
    made = []
    bar = tqdm(total=count, desc="synthesising", unit="clip")
    while len(made) < count:
        category = categories[rng.integers(len(categories))]
        photos = [r for r in records if category not in set(r.labels.tolist())]
        backgrounds = lambda r, photos=photos: photos[r.integers(len(photos))].image()  # noqa: E731
        clip = synthesize_sequence(by_category[category], backgrounds, rng, frames, SCENE)
        if model is None or _seen(model, clip, category, min_score):
            made.append(clip)
            bar.update(1)
    bar.close()
    return made


def _seen(model, clip, category: int, min_score: float) -> bool:
    """Whether the detector finds at least half of the objects present on the clip's first frame."""
    truth = np.array(list(ground_truth(clip)[1][0].values())).reshape(-1, 4)
    found = detect(model, clip.frames[0], score=min_score, classes=[category], masks=False).boxes
    if not len(truth) or not len(found):
        return False
    overlap = iou_matrix(truth, found)
    return (overlap.max(1) >= 0.5).mean() >= 0.5


def ground_truth(clip) -> tuple[int, list[dict]]:
    """The clip's category and, per frame, {object index: box} of its objects that are present."""
    objects = clip.objects
    return clip.target.category, [{k: tuple(o.boxes[t]) for k, o in enumerate(objects) if o.present[t]} for t in range(len(clip))]


def run_dettrack(model, clip, category: int, args) -> tuple[list[dict], float]:
    tracker = ClassTracker(open_session(model), ClassTracking((category,), args.every, args.min_score, args.max_absent, merge_iou=args.merge_iou))
    out, started = [], time.perf_counter()
    for _, results in tracker.track(clip.frames):
        out.append({k: r.box for k, r in results.items() if r.present})
    return out, time.perf_counter() - started


def run_bytetrack(model, clip, category: int, args) -> tuple[list[dict], float]:
    import supervision as sv

    tracker = sv.ByteTrack(track_activation_threshold=args.min_score, lost_track_buffer=args.max_absent, frame_rate=25, minimum_consecutive_frames=1)
    out, started = [], time.perf_counter()
    for frame in clip.frames:
        found = detect(model, frame, score=BYTETRACK_SCORE, classes=[category], masks=False)
        xyxy = np.concatenate([found.boxes[:, :2], found.boxes[:, :2] + found.boxes[:, 2:]], 1) if len(found.boxes) else np.zeros((0, 4))
        tracked = tracker.update_with_detections(sv.Detections(xyxy=xyxy.astype(np.float32), confidence=found.scores.astype(np.float32), class_id=found.labels.astype(int)))
        out.append({int(i): (float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])) for b, i in zip(tracked.xyxy, tracked.tracker_id) if i >= 0})
    return out, time.perf_counter() - started


def table(rows: dict[str, MotScores]) -> str:
    lines = ["| | HOTA | DetA | AssA | IDF1 | MOTA | ID switches | ids (truth / tracker) |", "|---|---|---|---|---|---|---|---|"]
    for name, s in rows.items():
        lines.append(f"| {name} | {s.hota:.3f} | {s.deta:.3f} | {s.assa:.3f} | {s.idf1:.3f} | {s.mota:.3f} | {s.id_switches} | {s.gt_ids} / {s.tracker_ids} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--every", type=int, default=10, help="dettrack: frames between detections")
    parser.add_argument("--min-score", type=float, default=0.3, help="detection score that starts a track (both trackers)")
    parser.add_argument("--max-absent", type=int, default=30, help="frames a lost track is kept (both trackers)")
    parser.add_argument("--merge-iou", type=float, default=ClassTracking.__dataclass_fields__["merge_iou"].default, help="dettrack: overlap at which two tracks are one object")
    parser.add_argument("--source", choices=("held-out", "train"), default="held-out",
                        help="clips from coco_extra val2017 (held out, for reporting) or from coco128 (trained on, for choosing settings)")
    parser.add_argument("--trackers", nargs="+", default=["dettrack", "ByteTrack"], choices=["dettrack", "ByteTrack"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    model = load_model(args.model, "cpu")
    clip_set = clips(args.clips, args.frames, args.seed, model, args.min_score, HELD_OUT if args.source == "held-out" else TRAIN)
    sequences: dict[str, dict[str, tuple]] = {name: {} for name in args.trackers}
    seconds = {name: 0.0 for name in sequences}
    for n, clip in enumerate(tqdm(clip_set, desc="tracking", unit="clip")):
        category, truth = ground_truth(clip)
        name = f"clip{n:02d} ({COCO_NAMES[category]}, {len({k for f in truth for k in f})})"
        for tracker in args.trackers:
            run = run_dettrack if tracker == "dettrack" else run_bytetrack
            found, took = run(model, clip, category, args)
            sequences[tracker][name] = (truth, found)
            seconds[tracker] += took
    frames = sum(len(c) for c in clip_set)
    scores = {tracker: mot_scores(seqs) for tracker, seqs in sequences.items()}
    made = "held-out clips (coco_extra val2017 cut-outs" if args.source == "held-out" else "training clips (coco128 cut-outs"
    print(f"\n{len(clip_set)} {made}) of {args.frames} frames, seed {args.seed}; dettrack --every {args.every} --merge-iou {args.merge_iou}, "
          f"both --min-score {args.min_score}, --max-absent {args.max_absent}; {args.threads} threads\n")
    print(table({f"{tracker} ({1000 * seconds[tracker] / frames:.0f} ms/frame)": s["combined"] for tracker, s in scores.items()}))
    print("\nper clip, HOTA / IDF1 / ID switches:\n")
    print("| clip (category, objects) | " + " | ".join(scores) + " |\n|---|" + "---|" * len(scores))
    for name in next(iter(sequences.values())):
        cells = [f"{s[name].hota:.3f} / {s[name].idf1:.3f} / {s[name].id_switches}" for s in scores.values()]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
