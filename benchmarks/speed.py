"""Frames per second and accuracy, dettrack beside OpenCV's trackers, and the whole `dettrack track` command.

Runs every tracker over the same held-out sequences (DAVIS-2016 480p and OTB from
../shared/data by default), timing update() only (the first frame is the init), and
prints FPS with the AO (mean IoU over the tracked frames where the object is present);
then times `dettrack track` itself (decoding, tracking with masks, every default output
written) on a 640x360 clip. Example:
    python benchmarks/speed.py --threads 2 --max-frames 40
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from dettrack.commands.settings import add_tracking_option, parse_settings
from dettrack.data import open_dataset
from dettrack.eval.metrics.overlap import iou_xywh
from dettrack.eval.peers import make_tracker
from dettrack.loading import load_model
from dettrack.video import VideoWriter

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


def command_fps(
    model: str, frames: list[np.ndarray], boxes: list[tuple[float, ...]], threads: int, folder: Path, options: Sequence[str] = ()
) -> tuple[float, str]:
    """FPS that `dettrack track` reports for itself on a video of `frames`, one --box per object,
    default outputs (masks, overlay, ...); options: more arguments of the command."""
    video = folder / "clip.mp4"
    if not video.exists():
        with VideoWriter(video, 30.0) as writer:
            for frame in frames:
                writer.write(frame)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    box_args = [arg for box in boxes for arg in ("--box", ",".join(f"{v:.1f}" for v in box))]
    command = [sys.executable, "-m", "dettrack.cli", "track", str(video), *box_args, *options, "--model", model, "--out", str(folder / "out")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    match = re.search(r"\(([0-9.]+) FPS\)", done.stdout + done.stderr)
    if done.returncode or not match:
        raise RuntimeError(f"dettrack track failed ({done.returncode}): {done.stderr[-2000:]}")
    return float(match.group(1)), f"dettrack track clip.mp4 {' '.join([*box_args, *options])} --model {model}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--davis", default=str(SHARED / "data" / "davis2016"))
    parser.add_argument("--sequences", nargs="+", default=["bmx-trees", "camel", "dog", "libby"])
    parser.add_argument("--otb", default=str(SHARED / "data" / "otb"))
    parser.add_argument("--clip", default=str(SHARED / "data" / "uav123_10fps" / "person12"), help="frames of the clip `dettrack track` is timed on")
    parser.add_argument("--nanotrack", default=str(SHARED / "models" / "nanotrack_v2"))
    parser.add_argument("--max-frames", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-peers", action="store_true", help="time dettrack only")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (dettrack only)")
    add_tracking_option(parser, "for dettrack: ")
    args = parser.parse_args()
    tracking = parse_settings(args.tracking)
    torch.set_num_threads(args.threads)
    import cv2

    cv2.setNumThreads(args.threads)
    davis = [s for s in open_dataset("davis2016", args.davis) if s.name in args.sequences]
    otb = open_dataset("otb", args.otb) if Path(args.otb).is_dir() else []
    sets = {"DAVIS 480p": davis, "OTB": otb}
    model = load_model(args.model, args.device)
    trackers = {
        "dettrack": lambda: make_tracker("dettrack", model, tracking=tracking),
        "dettrack, boxes only": lambda: make_tracker("dettrack", model, tracking={**tracking, "masks": False}),
    }
    if getattr(model, "family", None) != "light":
        trackers = {"dettrack": trackers["dettrack"]}
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
            cells.append(f"{fps:.1f} | {ao:.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    clip = open_dataset("uav123", Path(args.clip).parent)
    seq = next(s for s in clip if s.name == Path(args.clip).name)
    frames = [seq.frame(i) for i in range(min(len(seq), 200))]
    with tempfile.TemporaryDirectory() as folder:
        options = [part for setting in args.tracking for part in ("--tracking", setting)]
        fps, command = command_fps(args.model, frames, [tuple(seq.boxes[0])], args.threads, Path(folder), options)
    height, width = frames[0].shape[:2]
    print(f"\nwhole command, default outputs, {len(frames)} frames of {width}x{height} ({seq.name}), OMP_NUM_THREADS={args.threads}:")
    print(f"| `{command}` | {fps:.1f} FPS |")


if __name__ == "__main__":
    main()
