"""Does the tracker know when its object is gone? Copy-paste clips where the target leaves the frame and comes back.

Copy-paste clips (real COCO cut-outs animated over real photos) in which the target always leaves
the frame and comes back, sometimes behind an occluder: frames where too little of it is visible
are absent. The clips are made from images no recipe trains on (coco_extra's val2017); every
tracker gets the same clips and is scored as users receive it (dettrack.eval.reported): OxUvA's
TPR, TNR and GM of its present flag, AO as reported and of every box, and the confidence's AUC
between right frames and wrong or absent ones. A peer that never says absent has TNR 0.
With --select, dettrack's presence threshold is also swept on clips made from the training
images (COCO128), each threshold a full run, and the best GM there is scored on the held-out
clips: how a threshold is chosen without looking at what is reported.
Example:
    python benchmarks/absence.py --clips 12 --frames 60
"""

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from dettrack.commands.settings import add_tracking_option, parse_settings
from dettrack.data.copy_paste import SynthConfig, synthesize_sequence
from dettrack.eval.peers import make_tracker
from dettrack.eval.reported import ReportedScores, score_as_reported, score_table, track_clip
from dettrack.loading import load_model
from dettrack.train.build import load_images
from dettrack.train.copy_paste_source import cutouts_from_records

SHARED = Path(__file__).resolve().parents[2] / "shared"
TRAIN = {"format": "coco", "root": str(SHARED / "data" / "coco128"), "annotations": "annotations/instances_train2017.json", "images": "train2017"}
HELD_OUT = {"format": "coco", "root": str(SHARED / "data" / "coco_extra"), "annotations": "annotations/instances.json", "images": "images", "split": "val2017"}


def clips(entry: dict, count: int, frames: int, seed: int) -> list:
    records = load_images([entry], "clips")
    cutouts = [c for c in cutouts_from_records(records) if c.mask.sum() >= 1500]  # targets big enough to track
    rng = np.random.default_rng(seed)
    config = SynthConfig(exit_prob=1.0, exit_frames=(5.0, 20.0))
    backgrounds = lambda r: records[r.integers(len(records))].image()  # noqa: E731
    return [synthesize_sequence(cutouts, backgrounds, rng, frames, config) for _ in tqdm(range(count), desc="synthesising", unit="clip")]


def score(tracker, clip_set: list, label: str) -> ReportedScores:
    tracks = [track_clip(tracker, c.frames, c.boxes, c.present)[0] for c in tqdm(clip_set, desc=label, unit="clip", leave=False)]
    return score_as_reported(tracks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--clips", type=int, default=12, help="held-out clips scored")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--trackers", nargs="+", default=["dettrack", "nanotrack", "csrt"])
    parser.add_argument("--nanotrack", default=str(SHARED / "models" / "nanotrack_v2"))
    parser.add_argument("--select", action="store_true", help="also choose dettrack's presence threshold on clips from training images")
    parser.add_argument("--selection-clips", type=int, default=8, help="clips from training images that choose the threshold")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="also write the held-out figures to this file")
    add_tracking_option(parser, "for dettrack: ")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    tracking = parse_settings(args.tracking)
    model = load_model(args.model, "cpu") if "dettrack" in args.trackers or args.select else None
    held_out = clips(HELD_OUT, args.clips, args.frames, seed=2)
    rows = {}
    for name in args.trackers:
        tracker = make_tracker(name, model, tracking=tracking) if name == "dettrack" else make_tracker(name, nanotrack_folder=args.nanotrack)
        rows[name] = score(tracker, held_out, name)
    if args.select:
        selection = clips(TRAIN, args.selection_clips, args.frames, seed=1)
        grid = {t: score(make_tracker("dettrack", model, tracking={**tracking, "presence_threshold": t}), selection, f"threshold {t:.2f}") for t in args.thresholds}
        chosen = max(grid, key=lambda t: grid[t].gm)
        print(f"\ndettrack's presence threshold on {len(selection)} clips from COCO128 cut-outs\n")
        print(score_table({f"{t:.2f}{' (chosen)' if t == chosen else ''}": s for t, s in grid.items()}, "threshold"))
        rows[f"dettrack at {chosen:.2f}"] = score(make_tracker("dettrack", model, tracking={**tracking, "presence_threshold": chosen}), held_out, "chosen")
    absent = sum(int((~c.present[1:]).sum()) for c in held_out)
    present = sum(int(c.present[1:].sum()) for c in held_out)
    print(f"\nheld-out: {len(held_out)} clips from coco_extra val2017 cut-outs, {present} present and {absent} absent frames; "
          f"dettrack: {args.model}, tracking settings {tracking or 'of the model'}\n")
    print(score_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps({name: vars(s) for name, s in rows.items()}, indent=1))


if __name__ == "__main__":
    main()
