"""dettrack: track and segment any object from one box; the same network is also a detector.

Sub-commands: demo | track | detect | app | train | eval | report | paper | export | convert | info.
"""

import argparse
import platform
import sys
import warnings
from typing import Optional, Sequence

from . import __version__
from .commands import app, convert, demo, detect, evaluate, export, paper, report, track, train


def cmd_info(args: argparse.Namespace) -> int:
    import torch
    import torchvision

    from .model import BACKBONES
    from .pretrained import has_pretrained

    print(f"dettrack {__version__}, torch {torch.__version__}, torchvision {torchvision.__version__}, python {platform.python_version()}")
    print(f"CUDA available: {torch.cuda.is_available()}; CPU threads: {torch.get_num_threads()}")
    print(f"backbones: {', '.join(BACKBONES)}; shipped model: {'yes' if has_pretrained() else 'no'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Every sub-command's arguments; building it imports no torch, so bad input is reported at once."""
    parser = argparse.ArgumentParser(prog="dettrack", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dettrack {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (demo, track, detect, app):
        p = module.add_parser(sub)
        p.add_argument("--device", default="auto", help="cpu, cuda or auto: cuda where available (default: %(default)s)")
        p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
        p.set_defaults(func=module.run, check=module.check, needs_model=True)
    for module in (train, evaluate, report, paper, export, convert):
        module.add_parser(sub).set_defaults(func=module.run, check=module.check, needs_model=False)
    sub.add_parser("info", help="versions, devices and available backbones").set_defaults(func=cmd_info, check=None, needs_model=False)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        # the library's warnings (an untrained model, a video that ended early, ...) as one-line notes
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = lambda message, *_, **__: print(f"dettrack {args.command}: warning: {message}", file=sys.stderr)
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """The sub-command; bad input (ValueError, FileNotFoundError) is exit code 2 with its message.
    Its inputs are checked (`check`) before torch is imported and a model loaded."""
    try:
        if args.check is not None:
            args.check(args)
        if args.needs_model:
            from .loading import load_model, resolve_device

            args.device = resolve_device(args.device)
            return args.func(args, load_model(args.model, args.device))
        return args.func(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"dettrack {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:  # a command that finalised its outputs says what it kept
        print(f"dettrack {args.command}: interrupted; {err or 'unfinished outputs are left as hidden *.partial files'}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
