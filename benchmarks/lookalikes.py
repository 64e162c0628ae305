"""Held-out clips full of look-alikes: can the tracker keep its own object? dettrack beside OpenCV's trackers.

Copy-paste clips (real COCO cut-outs animated over real photos) made only from the val2017
images of coco_extra, which no recipe trains on: the target moves, turns and changes size among
1 to 3 other instances of its category and up to 2 copies of itself, with other objects and
occluders crossing; it never leaves the frame (frames where an occluder hides too much of it are
absent). Every tracker gets the same clips and the first frame's box; scored as users receive
it (dettrack.eval.reported: AO of every box and as reported, SR0.5, the present flag's TPR and
TNR, the confidence's AUC between right and wrong frames), with the share of clips lost (clip AO
under 0.2, every box). Identical copies can only be told apart by where they are, so this
rewards a tracker that stays put as much as one that recognises.
With --pool, the confidence's AUC right / wrong is also pooled over `dettrack eval` result folders
(the README's confidence column: these clips, the validation split and uav123_more).
Example:
    python benchmarks/lookalikes.py --clips 40 --frames 50 --plot runs/lookalikes.png
    python benchmarks/lookalikes.py --pool otb=runs/val_otb davis2016=runs/val_davis uav123_more=runs/val_uav
"""

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from dettrack.commands.settings import add_tracking_option, parse_settings
from dettrack.data.copy_paste import SynthConfig, synthesize_sequence
from dettrack.eval.metrics.got10k import got10k_success_curve
from dettrack.eval.peers import make_tracker
from dettrack.eval.plots import curve_plot
from dettrack.eval.reported import TrackFrames, score_as_reported, score_table, track_clip
from dettrack.loading import load_model
from dettrack.train.build import load_images
from dettrack.train.copy_paste_source import cutouts_from_records

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validation_split import load_results  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
HELD_OUT = {"format": "coco", "root": str(SHARED / "data" / "coco_extra"), "annotations": "annotations/instances.json", "images": "images", "split": "val2017"}
SCENE = SynthConfig(
    exit_prob=0.0, target_size=(0.06, 0.3), num_others=(0, 2), num_same_category=(1, 3), num_same_instance=(0, 2), motion=0.3
)


def clips(count: int, frames: int, seed: int) -> list:
    records = load_images([HELD_OUT], "clips")
    cutouts = [c for c in cutouts_from_records(records) if c.mask.sum() >= 400]
    rng = np.random.default_rng(seed)
    backgrounds = lambda r: records[r.integers(len(records))].image()  # noqa: E731
    return [synthesize_sequence(cutouts, backgrounds, rng, frames, SCENE) for _ in tqdm(range(count), desc="synthesising", unit="clip")]


def run(tracker, clip_set: list, name: str) -> tuple[list[TrackFrames], float]:
    """What the tracker reported on every clip, and its FPS over update calls."""
    tracks, seconds = [], 0.0
    for clip in tqdm(clip_set, desc=name, unit="clip", leave=False):
        track, took = track_clip(tracker, clip.frames, clip.boxes, clip.present)
        tracks.append(track)
        seconds += took
    return tracks, sum(len(c) - 1 for c in clip_set) / max(seconds, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--trackers", nargs="+", default=["dettrack", "nanotrack", "csrt", "kcf"])
    parser.add_argument("--nanotrack", default=str(SHARED / "models" / "nanotrack_v2"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--plot", help="also draw the success plot to this PNG")
    parser.add_argument("--pool", nargs="+", default=[], metavar="KIND=DIR",
                        help="also print the confidence's AUC right / wrong pooled over these clips and `dettrack eval` result "
                        "folders (validation_split.py's KIND=DIR), e.g. otb=runs/val_otb davis2016=runs/val_davis uav123_more=runs/val_uav")
    add_tracking_option(parser, "for dettrack: ")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    tracking = parse_settings(args.tracking)
    clip_set = clips(args.clips, args.frames, args.seed)
    model = load_model(args.model, "cpu") if "dettrack" in args.trackers else None
    present = sum(int(c.present[1:].sum()) for c in clip_set)
    print(f"\n{len(clip_set)} held-out clips of {args.frames} frames (coco_extra val2017 cut-outs and photos, seed {args.seed}), "
          f"{present} scored frames; dettrack: {args.model}, tracking settings {tracking or 'of the model'}; {args.threads} threads\n")
    pooled: dict[str, list[TrackFrames]] = {}
    for trackers in load_results(args.pool).values():
        for name, per in trackers.items():
            pooled.setdefault(name, []).extend(per.values())
    rows, lost, speed, curves = {}, {}, {}, {}
    for name in args.trackers:
        tracker = make_tracker(name, model, tracking=tracking) if name == "dettrack" else make_tracker(name, nanotrack_folder=args.nanotrack)
        tracks, speed[name] = run(tracker, clip_set, name)
        if name in pooled:
            pooled[name] += tracks
        rows[name] = score_as_reported(tracks)
        lost[name] = float(np.mean([score_as_reported([t]).ao_every < 0.2 for t in tracks]))
        ious = np.concatenate([t.ious()[t.scored & t.gt_present] for t in tracks])
        curves[name] = ((np.linspace(0, 1, 101), got10k_success_curve(ious)), rows[name].ao_every)
    print(score_table(rows))
    print("\n| tracker | clips lost (AO < 0.2) | FPS |\n|---|---|---|")
    for name in rows:
        print(f"| {name} | {lost[name]:.2f} | {speed[name]:.1f} |")
    if pooled:
        print(f"\nthe confidence's AUC right / wrong, pooled over these clips and {' '.join(args.pool)}:\n")
        print("| tracker | frames | AUC right/wrong |\n|---|---|---|")
        for name in rows:
            if name in pooled:
                scores = score_as_reported(pooled[name])
                print(f"| {name} | {scores.frames} | {scores.auc_right_wrong:.3f} |")
    if args.plot:
        path = curve_plot(Path(args.plot), curves, "Held-out look-alike clips", "Overlap threshold", "Success rate", "AO")
        print(f"\nsuccess plot: {path}")


if __name__ == "__main__":
    main()
