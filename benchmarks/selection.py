"""Choose tracker settings on training data only: dettrack on a recipe's own sequences and on clips from its images.

A setting (the presence threshold, a ranking weight, ...) must be chosen without looking at the
sets it is reported on. This runs dettrack over three sets made only from a recipe's training data
(`data.sequences`, and copy-paste clips of `data.copy_paste` images) and scores each as users
receive it (dettrack.eval.reported), once per value of the swept setting:

- sequences: the recipe's training sequences (for configs/light.yaml: DAVIS-2016 outside the
  validation split, DAVIS-2016 train, UAV123@10fps, SegTrack v2; their empty masks are absences);
- look-alikes: clips where the target moves among instances of its category and copies of itself
  (the scenes of benchmarks/lookalikes.py);
- exits: clips where the target leaves the frame and comes back (the scenes of benchmarks/absence.py).

The model was trained on these, so its figures here are better than on held-out data; what
they are for is telling settings apart.
Example:
    python benchmarks/selection.py --sweep presence_threshold=0.3,0.4,0.5
"""

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch
import yaml
from tqdm import tqdm

from dettrack.commands.settings import add_tracking_option, parse_settings
from dettrack.data.copy_paste import SynthConfig, synthesize_sequence
from dettrack.eval.peers import make_tracker
from dettrack.eval.reported import ReportedScores, TrackFrames, score_as_reported, score_table, track_clip
from dettrack.loading import load_model
from dettrack.train.build import load_images, load_sequences
from dettrack.train.copy_paste_source import cutouts_from_records

ROOT = Path(__file__).resolve().parents[1]
LOOKALIKES = SynthConfig(exit_prob=0.0, target_size=(0.06, 0.3), num_others=(0, 2), num_same_category=(1, 3), num_same_instance=(0, 2), motion=0.3)
EXITS = SynthConfig(exit_prob=1.0, exit_frames=(5.0, 20.0))


def recipe_sets(config: dict, clips: int, frames: int, seed: int) -> dict[str, list[tuple]]:
    """Set name -> (frames, boxes, present) per clip or sequence, from the recipe's training data."""
    sequences = load_sequences(config["data"]["sequences"], "data.sequences")
    records = load_images(config["data"]["copy_paste"], "data.copy_paste")
    cutouts = [c for c in cutouts_from_records(records) if c.mask.sum() >= 400]
    backgrounds = lambda r: records[r.integers(len(records))].image()  # noqa: E731
    sets: dict[str, list[tuple]] = {"sequences": []}
    for seq in sequences:
        start = int(np.flatnonzero(seq.present)[0])
        sets["sequences"].append((_frames(seq, start), seq.boxes[start:], (seq.present & seq.labelled)[start:]))
    for name, scene, minimum in (("look-alikes", LOOKALIKES, 400), ("exits", EXITS, 1500)):
        rng = np.random.default_rng(seed)
        pool = [c for c in cutouts if c.mask.sum() >= minimum]
        made = [synthesize_sequence(pool, backgrounds, rng, frames, scene) for _ in tqdm(range(clips), desc=f"{name} clips", unit="clip")]
        sets[name] = [(clip.frames, clip.boxes, clip.present) for clip in made]
    return sets


def _frames(seq, start: int):
    """The sequence's frames from `start`, read lazily (a new reader each time it is iterated)."""

    class Lazy:
        def __iter__(self):
            return (seq.frame(i) for i in range(start, len(seq)))

    return Lazy()


def score_sets(tracker, sets: dict[str, list[tuple]], label: str) -> dict[str, ReportedScores]:
    tracks: dict[str, list[TrackFrames]] = {}
    for name, items in sets.items():
        tracks[name] = [track_clip(tracker, f, b, p)[0] for f, b, p in tqdm(items, desc=f"{label}: {name}", unit="clip", leave=False)]
    out = {name: score_as_reported(t) for name, t in tracks.items()}
    out["pooled"] = score_as_reported([t for ts in tracks.values() for t in ts])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(ROOT / "configs" / "light.yaml"), help="the recipe whose training data is used")
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--sweep", metavar="KEY=V1,V2,...", help="one tracking setting and the values to try")
    parser.add_argument("--clips", type=int, default=24, help="clips of each kind")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--threads", type=int, default=2)
    add_tracking_option(parser, "for every run: ")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    config = yaml.safe_load(Path(args.config).read_text())
    base = parse_settings(args.tracking)
    values: list = [None]
    key = None
    if args.sweep:
        key, _, text = args.sweep.partition("=")
        values = [parse_settings([f"{key}={v}"])[key] for v in text.split(",")]
    model = load_model(args.model, "cpu")
    sets = recipe_sets(config, args.clips, args.frames, args.seed)
    rows: dict[str, dict[str, ReportedScores]] = {}
    for value in values:
        tracking = base if key is None else {**base, key: value}
        label = "settings of the model" if key is None else f"{key}={value}"
        rows[label] = score_sets(make_tracker("dettrack", model, tracking=tracking), sets, label)
    print(f"\n{args.model} on the training data of {args.config}; other settings {base or 'of the model'}")
    for name in [*sets, "pooled"]:
        print(f"\n{name}\n")
        print(score_table({label: per[name] for label, per in rows.items()}, "setting"))
    if len(rows) > 1:
        best = max(rows, key=lambda label: rows[label]["pooled"].f_score)
        print(f"\nbest pooled F (VOT-LT's tracking F-score at the tracker's own flag): {best}")


if __name__ == "__main__":
    main()
