"""Command line: dettrack demo | track | detect | train | eval | report | paper | info."""

import argparse
import platform
import sys
from typing import Optional, Sequence

import torch
import torchvision

from . import __version__
from .commands import demo, detect, evaluate, export, paper, report, track, train
from .model import BACKBONES, DetTrack, build_model, load_checkpoint
from .pretrained import has_pretrained, load_pretrained

# Input size and proposal budget of the light CPU setting used for untrained backbones.
LIGHT_OPTIONS = dict(min_size=360, max_size=640, rpn_pre_nms_top_n_test=500, rpn_post_nms_top_n_test=100)


def load_model(spec: str, device: str) -> DetTrack:
    """'pretrained' (the shipped model), a checkpoint path, or a backbone name (random weights)."""
    if spec == "pretrained":
        if has_pretrained():
            return load_pretrained(device)
        print("note: this install ships no trained model yet; using an untrained mobilenet_v2_fpn", file=sys.stderr)
        spec = "mobilenet_v2_fpn"
    if spec in BACKBONES:
        print(f"note: {spec} with untrained weights: results show the pipeline works, not how well it tracks", file=sys.stderr)
        torch.manual_seed(0)
        model = build_model(spec, **LIGHT_OPTIONS)
    else:
        model = load_checkpoint(spec)
    return model.to(device).eval()


def cmd_info(args: argparse.Namespace) -> int:
    print(f"dettrack {__version__}, torch {torch.__version__}, torchvision {torchvision.__version__}, python {platform.python_version()}")
    print(f"CUDA available: {torch.cuda.is_available()}; CPU threads: {torch.get_num_threads()}")
    print(f"backbones: {', '.join(BACKBONES)}; shipped model: {'yes' if has_pretrained() else 'no'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dettrack", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dettrack {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (demo, track, detect):
        p = module.add_parser(sub)
        p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cpu or cuda")
        p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
        p.set_defaults(func=module.run, needs_model=True)
    train.add_parser(sub).set_defaults(func=train.run, needs_model=False)
    for module in (evaluate, report, paper, export):
        module.add_parser(sub).set_defaults(func=module.run, needs_model=False)
    sub.add_parser("info", help="versions, devices and available backbones").set_defaults(func=cmd_info, needs_model=False)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.needs_model:
            if args.device == "cuda" and not torch.cuda.is_available():
                raise ValueError("--device cuda: CUDA is not available on this machine")
            return args.func(args, load_model(args.model, args.device))
        return args.func(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"dettrack {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dettrack {args.command}: interrupted; unfinished outputs are left as hidden *.partial files", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
