"""`dettrack train`: run a recipe (also under torchrun), resumable."""

import argparse
import sys
import time
from pathlib import Path

from ..train.config import load_config


def check(args: argparse.Namespace) -> None:
    """The recipe (every section and key, --set included), before torch is imported."""
    load_config(args.config, args.set)


def run(args: argparse.Namespace) -> int:
    from ..train.build import stream_factory, validator
    from ..train.loop import train

    config = load_config(args.config, args.set)
    out = Path(args.out or Path("runs") / Path(args.config).stem)
    started = time.perf_counter()
    final = train(
        config, out, stream_factory(config), validator(config), resume=args.resume, device=args.device,
        quiet=args.quiet, stop_after=args.stop_after,
    )
    if not args.quiet:
        minutes = (time.perf_counter() - started) / 60
        done = final.is_file()
        print(f"{'finished' if done else 'paused'} after {minutes:.1f} min; " + (f"model: {final}" if done else f"resume with --resume --out {out}"), file=sys.stderr)
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("train", help="train a model from a recipe (configs/*.yaml); torchrun for many GPUs")
    p.add_argument("--config", required=True, help="recipe YAML, e.g. configs/demo.yaml")
    p.add_argument("--out", help="run folder (checkpoints, TensorBoard, model.pt); default runs/<config name>")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override a recipe value (YAML)")
    p.add_argument("--stop-after", type=int, help="pause after this many iterations (resume later)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p
