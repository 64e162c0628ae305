"""`dettrack convert`: a published detector file -> a dettrack checkpoint of the light family."""

import argparse
import sys
from pathlib import Path

from ..data.textfiles import require_file
from ..tracking.settings import TrackingSettings


def check(args: argparse.Namespace) -> None:
    """The detector file and the settings, before torch is imported."""
    require_file(args.weights, "NanoDet-m ONNX file")
    TrackingSettings(search_size=args.input_size, context=args.context)


def run(args: argparse.Namespace) -> int:
    from ..model import save_checkpoint
    from ..model.light import build_light_model

    model = build_light_model(args.weights, teacher=False, input_size=args.input_size)
    model.tracking_defaults = TrackingSettings(search_size=args.input_size, context=args.context).to_dict()
    save_checkpoint(model, args.out, extra={"converted_from": Path(args.weights).name})
    if not args.quiet:
        size = Path(args.out).stat().st_size / 2**20
        print(
            f"wrote {args.out} ({size:.1f} MB): NanoDet-m from {args.weights}; it detects as the original and tracks "
            "with the untrained template read-out (its mask head is untrained: train it with configs/light.yaml)",
            file=sys.stderr,
        )
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("convert", help="convert the NanoDet-m ONNX file into a light-family checkpoint (untrained tracker)")
    p.add_argument("weights", help="NanoDet-m ONNX file, e.g. ../shared/weights/nanodet_m.onnx")
    p.add_argument("out", help="checkpoint to write (atomically)")
    p.add_argument("--input-size", type=int, default=320, help="network input for crops (default: %(default)s)")
    p.add_argument("--context", type=float, default=1.95, help="search crop context (default: %(default)s)")
    p.add_argument("--quiet", action="store_true")
    return p
