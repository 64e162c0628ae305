"""Command line: `dettrack demo | info`."""

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import torch
import torchvision
from tqdm import tqdm

from . import __version__
from .demo import synthetic_clip
from .io_utils import atomic_write
from .model import BACKBONES, DetTrack, build_model, load_checkpoint
from .tracking import Tracker

# Input size and proposal budget of the light CPU setting used when no checkpoint is given.
LIGHT_OPTIONS = dict(min_size=360, max_size=640, rpn_pre_nms_top_n_test=500, rpn_post_nms_top_n_test=100)


def load_model(spec: str, device: str) -> DetTrack:
    """A checkpoint path, or a backbone name (random weights, for trying the pipeline)."""
    if spec in BACKBONES:
        print(f"note: {spec} with untrained weights: results show the pipeline works, not how well it tracks", file=sys.stderr)
        model = build_model(spec, **LIGHT_OPTIONS)
    else:
        model = load_checkpoint(spec)
    return model.to(device).eval()


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def cmd_demo(args: argparse.Namespace) -> int:
    """Track the object of a procedurally made clip and report IoU against its exact ground truth."""
    torch.manual_seed(0)
    model = load_model(args.model, args.device)
    tracker = Tracker(model, smoothing=args.smoothing)
    clip = synthetic_clip(args.frames)
    first, first_box = next(clip)
    tracker.init(first, first_box)
    rows, ious = [], []
    start = time.perf_counter()
    for index, (frame, truth) in enumerate(tqdm(clip, total=args.frames - 1, desc="tracking", unit="frame", disable=args.quiet), 1):
        result = tracker.update(frame)
        ious.append(_iou(result.box, truth))
        rows.append({"frame": index, "box": list(result.box), "score": result.score, "present": result.present, "iou": ious[-1]})
    elapsed = time.perf_counter() - start
    print(f"{len(rows)} frames in {elapsed:.1f} s ({len(rows) / elapsed:.2f} FPS on {args.device})")
    print(f"mean IoU with the ground truth: {sum(ious) / len(ious):.3f}; present in {sum(r['present'] for r in rows)} frames")
    if args.out:
        path = Path(args.out) / "tracks.json"
        with atomic_write(path) as f:
            json.dump(rows, f, indent=1)
        print(f"wrote {path}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """Versions and what this machine offers."""
    print(f"dettrack {__version__}, torch {torch.__version__}, torchvision {torchvision.__version__}, python {platform.python_version()}")
    print(f"CUDA available: {torch.cuda.is_available()}; CPU threads: {torch.get_num_threads()}")
    print(f"backbones: {', '.join(BACKBONES)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dettrack", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dettrack {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="track an object in a built-in clip and report accuracy and speed")
    demo.add_argument("--model", default="mobilenet_v2_fpn", help="checkpoint path or backbone name (untrained)")
    demo.add_argument("--frames", type=int, default=30, help="clip length")
    demo.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    demo.add_argument("--smoothing", action="store_true", help="the paper's temporal smoothness")
    demo.add_argument("--out", help="folder for tracks.json")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=cmd_demo)
    info = sub.add_parser("info", help="versions, devices and available backbones")
    info.set_defaults(func=cmd_info)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"dettrack {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
