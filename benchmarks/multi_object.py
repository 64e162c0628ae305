"""Cost of tracking N objects in one stream relative to one object.

One session serves both families. In crop mode (the light family's, and the Mask R-CNN
family's with a search_size) crops of about the same size share one pyramid pass over the
frame region that holds them; in full-frame mode (`--tracking full_frame=true`, the Mask
R-CNN family's paper setting) the pyramid is computed once and the heads run batched over
objects. Independent trackers pay N times. Then the whole `dettrack track` command (decoding,
every default output written: masks, overlay, JSON) with one object and with ten, on a 640x360
clip (--clip; --skip-command leaves it out).
Example:
    python benchmarks/multi_object.py --threads 2 --frames 20
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from dettrack.commands.settings import add_tracking_option, parse_settings
from dettrack.data import open_dataset
from dettrack.loading import load_model
from dettrack.tracking import open_session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import SHARED, command_fps  # noqa: E402


def frames_480p(count: int, seed: int = 0) -> list[np.ndarray]:
    """Textured 480x854 frames with 20 drifting blocks (stand-ins for objects)."""
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 120, (480, 854, 3), dtype=np.uint8)
    out = []
    for t in range(count):
        frame = background.copy()
        for k in range(20):
            x, y = 20 + (k % 5) * 160 + 2 * t, 30 + (k // 5) * 110
            frame[y : y + 60, x : x + 80] = rng.integers(120, 255, 3, dtype=np.uint8)
        out.append(frame)
    return out


def boxes_for(n: int) -> list[tuple[float, float, float, float]]:
    return [(20 + (k % 5) * 160, 30 + (k // 5) * 110, 80, 60) for k in range(n)]


def clip_boxes(n: int, width: int, height: int) -> list[tuple[float, float, float, float]]:
    """n boxes of 60 x 45 px spread over a width x height frame, two rows of five."""
    return [(20 + (k % 5) * (width - 100) / 4, height * (0.1 + 0.45 * (k // 5 % 2)), 60.0, 45.0) for k in range(n)]


def command_table(model: str, clip: Path, threads: int, counts: list[int], tracking: dict) -> None:
    """The whole command's FPS with each count of objects, relative to one."""
    seq = next(s for s in open_dataset("uav123", clip.parent) if s.name == clip.name)
    frames = [seq.frame(i) for i in range(min(len(seq), 200))]
    height, width = frames[0].shape[:2]
    print(f"\nwhole `dettrack track` command, default outputs, {len(frames)} frames of {width}x{height} ({seq.name}), OMP_NUM_THREADS={threads}:\n")
    print("| objects | FPS | s / frame | relative to 1 |")
    print("|---|---|---|---|")
    base = None
    with tempfile.TemporaryDirectory() as folder:
        for n in counts:
            options = [arg for key, value in tracking.items() for arg in ("--tracking", f"{key}={value}")]
            fps, _ = command_fps(model, frames, clip_boxes(n, width, height), threads, Path(folder), options)
            base = base or 1 / fps
            print(f"| {n} | {fps:.1f} | {1 / fps:.3f} | {1 / fps / base:.2f}x |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="pretrained", help="'pretrained', a checkpoint or a backbone name")
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 5, 10, 20])
    parser.add_argument("--clip", default=str(SHARED / "data" / "uav123_10fps" / "person12"), help="frames of the clip the whole command is timed on")
    parser.add_argument("--command-counts", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--skip-command", action="store_true", help="time the sessions only")
    add_tracking_option(parser)
    args = parser.parse_args()
    tracking = parse_settings(args.tracking)
    torch.set_num_threads(args.threads)
    model = load_model(args.model, "cpu")
    frames = frames_480p(args.frames + 1)
    print(f"{args.model}, tracking settings {tracking or 'of the model'}, 480x854 frames, {args.threads} threads, mean of {args.frames} frames\n")
    print("| mode | objects | s / frame | relative to 1 | per object |")
    print("|---|---|---|---|---|")
    warm = open_session(model, **tracking)  # kernels and allocator warmed before anything is timed
    warm.add(frames[0], boxes_for(1)[0])
    for frame in frames[1:4]:
        warm.update(frame)
    settings = {**tracking, "presence_threshold": 0.0}  # every answer counted present
    mode = "full frame" if open_session(model, **settings).settings.full_frame else "crops"
    base = None
    for n in args.counts:
        session = open_session(model, **settings)
        for k, box in enumerate(boxes_for(n)):
            session.add(frames[0], box, k)
        session.update(frames[1])  # warm-up
        start = time.perf_counter()
        for frame in frames[1:]:
            session.update(frame)
        per_frame = (time.perf_counter() - start) / args.frames
        base = base or per_frame
        print(f"| {mode} | {n} | {per_frame:.3f} | {per_frame / base:.2f}x | {per_frame / n:.3f} |", flush=True)
    if not args.skip_command:
        command_table(args.model, Path(args.clip), args.threads, args.command_counts, tracking)


if __name__ == "__main__":
    main()
