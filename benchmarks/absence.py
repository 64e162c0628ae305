"""Does dettrack know when its object is gone? OxUvA's TPR, TNR and GM of the present flag on clips with exits.

Copy-paste clips (real COCO cut-outs animated over real photos) in which the target always leaves
the frame and comes back, sometimes behind an occluder: frames where too little of it is visible
are absent. The presence threshold is chosen on clips made from the training images (COCO128:
the threshold with the best GM over a grid), then the tracker runs with that threshold on clips
made from images no recipe trains on (coco_extra's val2017), scored with the OxUvA metric code.
Example:
    python benchmarks/absence.py --clips 12 --frames 60
"""

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from tqdm import tqdm

from dettrack.data.copy_paste import SynthConfig, synthesize_sequence
from dettrack.eval.metrics.oxuva import OxuvaPredictions, oxuva_scores
from dettrack.loading import load_model
from dettrack.tracking import Tracker
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


def track(model, clip, threshold: float) -> OxuvaPredictions:
    tracker = Tracker(model, presence_threshold=threshold, masks=False) if getattr(model, "family", None) == "light" else Tracker(model, presence_threshold=threshold)
    tracker.init(clip.frames[0], clip.boxes[0])
    results = [tracker.update(frame) for frame in clip.frames[1:]]
    return OxuvaPredictions(
        frames=np.arange(1, len(clip)),
        present=np.array([r.present for r in results]),
        score=np.array([r.score for r in results]),
        boxes=np.array([normalised(r.box, clip.frames.shape[1:3]) for r in results]),
    )


def normalised(box, size) -> np.ndarray:
    """(x, y, w, h) pixels -> OxUvA's (xmin, xmax, ymin, ymax) in [0, 1] units of the frame."""
    height, width = size
    x, y, w, h = box
    return np.array([x / width, (x + w) / width, y / height, (y + h) / height])


def labels(clip) -> SimpleNamespace:
    size = clip.frames.shape[1:3]
    boxes = np.array([normalised(b, size) if p else [np.nan] * 4 for b, p in zip(clip.boxes[1:], clip.present[1:])])
    return SimpleNamespace(frames=np.arange(1, len(clip)), present=clip.present[1:].copy(), boxes=boxes)


def score(model, clip_set: list, threshold: float):
    tracks = {(str(i), "target"): labels(c) for i, c in enumerate(clip_set)}
    predictions = {(str(i), "target"): track(model, c, threshold) for i, c in enumerate(tqdm(clip_set, desc=f"threshold {threshold:.2f}", unit="clip", leave=False))}
    return oxuva_scores(tracks, predictions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--clips", type=int, default=12, help="held-out clips scored")
    parser.add_argument("--selection-clips", type=int, default=8, help="clips from training images that choose the threshold")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model, "cpu")
    selection = clips(TRAIN, args.selection_clips, args.frames, seed=1)
    grid = {t: score(model, selection, t) for t in args.thresholds}
    chosen = max(grid, key=lambda t: grid[t].gm)
    held_out = clips(HELD_OUT, args.clips, args.frames, seed=2)
    final = score(model, held_out, chosen)
    model_default = getattr(model, "tracking_defaults", {}).get("presence_threshold")
    absent = sum(int((~c.present[1:]).sum()) for c in held_out)
    present = sum(int(c.present[1:].sum()) for c in held_out)
    print(f"\n{args.model}; threshold chosen on {len(selection)} clips from COCO128 cut-outs (the model's default: {model_default})\n")
    print("| threshold | TPR | TNR | GM (selection clips) |")
    print("|---|---|---|---|")
    for t, s in grid.items():
        print(f"| {t:.2f}{' (chosen)' if t == chosen else ''} | {s.tpr:.3f} | {s.tnr:.3f} | {s.gm:.3f} |")
    print(f"\nheld-out: {len(held_out)} clips from coco_extra val2017 cut-outs, {present} present and {absent} absent frames\n")
    print("| threshold | TPR | TNR | GM | MaxGM |")
    print("|---|---|---|---|---|")
    print(f"| {chosen:.2f} | {final.tpr:.3f} | {final.tnr:.3f} | {final.gm:.3f} | {final.max_gm:.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"threshold": chosen, "tpr": final.tpr, "tnr": final.tnr, "gm": final.gm, "max_gm": final.max_gm}))


if __name__ == "__main__":
    main()
