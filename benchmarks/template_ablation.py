"""The paper's Table 1 template variants on copy-paste clips full of look-alike distractors.

Synthesises clips from COCO cut-outs in which the target shares the frame with objects of
its own category and copies of its own instance, then tracks them with one model while
swapping the template variant ('center', 'mean_pos', 'mean_diff', 'linreg') and the
levels its positive comes from ('box': the paper's one level, 'all': P2..P5). The weights
stay those of the given model (trained with 'linreg'): this isolates the template at
test time; the paper trains one model per variant (configs/ablation/ do that).
Tracking is full-frame (no search region), where look-alikes anywhere in the frame compete.
Example:
    python benchmarks/template_ablation.py --clips 12 --frames 20
"""

import argparse
import itertools
from pathlib import Path

import numpy as np
import torch

from dettrack.data import read_coco_file
from dettrack.data.copy_paste import SynthConfig, synthesize_sequence
from dettrack.eval.metrics.overlap import iou_xywh
from dettrack.loading import load_model
from dettrack.model.template import TEMPLATE_VARIANTS
from dettrack.tracking import Tracker
from dettrack.train.copy_paste_source import cutouts_from_records

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--coco", default=str(SHARED / "data" / "coco128"))
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    records = read_coco_file(Path(args.coco) / "annotations" / "instances_train2017.json", Path(args.coco) / "train2017")
    cutouts = cutouts_from_records(records)
    config = SynthConfig(num_others=(0, 1), num_same_category=(2, 3), num_same_instance=(1, 2), exit_prob=0.0, occluder_prob=0.2)
    rng = np.random.default_rng(args.seed)
    clips = [synthesize_sequence(cutouts, lambda r: records[r.integers(len(records))].image(), rng, args.frames, config) for _ in range(args.clips)]
    model = load_model(args.model, "cpu")
    print(f"{args.clips} copy-paste clips x {args.frames} frames, 2-3 same-category and 1-2 same-instance distractors each\n")
    print("| template | levels | AO | SR0.5 |")
    print("|---|---|---|---|")
    light = getattr(model, "family", None) == "light"
    options = {} if light else {"full_frame": True}
    # the paper's single positive on the box's level maps boxes to P2-P5: Mask R-CNN family only
    for levels, variant in itertools.product(("all",) if light else ("all", "box"), TEMPLATE_VARIANTS):
        model.template_builder.variant, model.template_builder.levels = variant, levels
        ious = []
        for clip in clips:
            tracker = Tracker(model, **options)
            tracker.init(clip.frames[0], clip.boxes[0])
            for t in range(1, len(clip)):
                box = tracker.update(clip.frames[t]).box
                if clip.present[t]:
                    ious.append(float(iou_xywh(np.asarray([box]), clip.boxes[t : t + 1])[0]))
        ious = np.asarray(ious)
        print(f"| {variant} | {levels} | {ious.mean():.3f} | {(ious > 0.5).mean():.3f} |", flush=True)


if __name__ == "__main__":
    main()
