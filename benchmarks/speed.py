"""Frames per second and accuracy on 480p video, dettrack beside OpenCV's trackers.

Runs every tracker over the same held-out sequences (DAVIS-2016 480p and OTB from
../shared/data by default), timing update() only (the first frame is the init), and
prints FPS with the AO (mean IoU over the tracked frames where the object is present).
dettrack runs in full-frame mode and in search-region mode; other backbones are timed
with random weights (speed only). Example:
    python benchmarks/speed.py --threads 2 --max-frames 40 --nanotrack ../shared/models/nanotrack_v2
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from dettrack.commands.settings import add_tracking_option, parse_settings
from dettrack.data import open_dataset
from dettrack.eval.metrics.overlap import iou_xywh
from dettrack.eval.peers import make_tracker

SHARED = Path(__file__).resolve().parents[2] / "shared"


def run(tracker, sequences, max_frames: int) -> tuple[float, float]:
    """(FPS over update calls, AO over present frames) on every sequence."""
    seconds, frames, ious = 0.0, 0, []
    for seq in sequences:
        start = int(np.flatnonzero(seq.present)[0])
        end = min(len(seq), start + max_frames + 1)
        tracker.init(seq.frame(start), seq.boxes[start])
        for i in range(start + 1, end):
            frame = seq.frame(i)
            tick = time.perf_counter()
            box = tracker.update(frame).box
            seconds += time.perf_counter() - tick
            frames += 1
            if seq.present[i]:
                ious.append(float(iou_xywh(np.asarray([box]), seq.boxes[i : i + 1])[0]))
    return frames / seconds, float(np.mean(ious)) if ious else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--davis", default=str(SHARED / "data" / "davis2016"))
    parser.add_argument("--sequences", nargs="+", default=["bmx-trees", "camel", "dog", "libby"])
    parser.add_argument("--otb", default=str(SHARED / "data" / "otb"))
    parser.add_argument("--nanotrack", default=str(SHARED / "models" / "nanotrack_v2"))
    parser.add_argument("--max-frames", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--search-regions", type=int, nargs="+", default=[256, 192])
    parser.add_argument("--backbones", nargs="*", default=["resnet50_fpn", "resnet18_fpn", "mobilenet_v2_fpn", "mobilenet_v3_fpn"])
    parser.add_argument("--backbone-frames", type=int, default=8, help="frames timed for the random-weight backbones")
    parser.add_argument("--skip-peers", action="store_true", help="time dettrack only")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (dettrack only; CUDA runs with fp16 autocast)")
    add_tracking_option(parser, "for dettrack: ")
    args = parser.parse_args()
    tracking = parse_settings(args.tracking)
    torch.set_num_threads(args.threads)
    import cv2

    cv2.setNumThreads(args.threads)
    from dettrack.cli import load_model

    davis = [s for s in open_dataset("davis2016", args.davis) if s.name in args.sequences]
    otb = open_dataset("otb", args.otb) if Path(args.otb).is_dir() else []
    sets = {"DAVIS 480p": davis, "OTB": otb}
    model = load_model(args.model, args.device)
    trackers = {"dettrack full frame": lambda: make_tracker("dettrack", model, search_region=0, tracking=tracking)}
    for size in args.search_regions:
        trackers[f"dettrack search region {size}"] = lambda size=size: make_tracker("dettrack", model, search_region=size, tracking=tracking)
    for name, label in (("csrt", "CSRT"), ("kcf", "KCF"), ("nanotrack", "NanoTrack v2")):
        if not args.skip_peers:
            trackers[label] = lambda name=name: make_tracker(name, nanotrack_folder=args.nanotrack)
    print(f"{args.model}, tracking settings {tracking or 'of the model'}")
    print(f"{args.threads} threads, {args.device}, up to {args.max_frames} frames per sequence; AO = mean IoU on present frames\n")
    print("| tracker | " + " | ".join(f"{k} FPS | {k} AO" for k in sets) + " |")
    print("|---|" + "---|---|" * len(sets))
    for name, make in trackers.items():
        cells = []
        for sequences in sets.values():
            fps, ao = run(make(), sequences, args.max_frames) if sequences else (float("nan"), float("nan"))
            cells.append(f"{fps:.1f} | {'-' if 'random' in name else f'{ao:.3f}'}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    print("\nrandom-weight backbones, full frame, 256-channel FPN, 360p input, 100 proposals, 480x854 DAVIS frames (speed only)\n")
    print("| backbone | FPS |")
    print("|---|---|")
    for backbone in args.backbones:
        fps, _ = run(make_tracker("dettrack", load_model(backbone, args.device), search_region=0), davis[:1], args.backbone_frames)
        print(f"| {backbone} | {fps:.2f} |", flush=True)


if __name__ == "__main__":
    main()
