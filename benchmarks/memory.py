"""Resident memory while tracking one object through a long synthetic stream: it must stay flat.

Frames are generated on the fly (nothing is kept), so any growth is the tracker's.
Prints RSS every `--every` frames and the growth after warm-up.
Example:
    python benchmarks/memory.py --frames 10000 --tracking masks=false
"""

import argparse
import resource
import time

import numpy as np
import torch

from dettrack.commands.settings import add_tracking_option, parse_settings
from dettrack.loading import load_model
from dettrack.tracking import open_session


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def stream(count: int, size: tuple[int, int]):
    rng = np.random.default_rng(0)
    background = rng.integers(0, 120, (*size, 3), dtype=np.uint8)
    height, width = size
    for t in range(count):
        frame = background.copy()
        x = int((width - 80) * (0.5 + 0.4 * np.sin(t / 50)))
        y = int((height - 60) * (0.5 + 0.3 * np.cos(t / 70)))
        frame[y : y + 60, x : x + 80] = (220, 60, 40)
        yield frame, (x, y, 80, 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="pretrained")
    parser.add_argument("--frames", type=int, default=10000)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--size", type=int, nargs=2, default=[480, 854], metavar=("H", "W"))
    add_tracking_option(parser)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model, "cpu")
    session = open_session(model, **parse_settings(args.tracking))
    frames = stream(args.frames, tuple(args.size))
    first, box = next(frames)
    session.add(first, box, "target")
    print("| frame | RSS (MB) | FPS since last row |")
    print("|---|---|---|")
    warm = None
    tick = time.perf_counter()
    for index, (frame, _) in enumerate(frames, 1):
        session.update(frame)
        if index == 100:
            warm = rss_mb()
        if index % args.every == 0:
            now = time.perf_counter()
            print(f"| {index} | {rss_mb():.0f} | {args.every / (now - tick):.1f} |", flush=True)
            tick = now
    final = rss_mb()
    print(f"\ngrowth after warm-up (frame 100 -> {args.frames - 1}): {final - (warm or final):+.1f} MB (goal < 50 MB)")


if __name__ == "__main__":
    main()
