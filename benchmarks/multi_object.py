"""Cost of tracking N objects in one stream relative to one object.

One session serves both families. In crop mode (the light family's, and the Mask R-CNN
family's with a search_size) crops of about the same size share one pyramid pass over the
frame region that holds them; in full-frame mode (`--tracking full_frame=true`, the Mask
R-CNN family's paper setting) the pyramid is computed once and the heads run batched over
objects. Independent trackers pay N times.
Example:
    python benchmarks/multi_object.py --threads 2 --frames 20
"""

import argparse
import time

import numpy as np
import torch

from dettrack.commands.settings import add_tracking_option, parse_settings
from dettrack.loading import load_model
from dettrack.tracking import open_session


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="pretrained", help="'pretrained', a checkpoint or a backbone name")
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 5, 10, 20])
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


if __name__ == "__main__":
    main()
