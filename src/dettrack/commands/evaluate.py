"""`dettrack eval`: run trackers over a benchmark and write results in its official format."""

import argparse
import os
import sys

from ..data.textfiles import require_dir
from ..eval.benchmarks import BENCHMARKS, get_benchmark
from ..eval.peers import TRACKERS
from .settings import add_removed_search_region, add_tracking_option, parse_settings, refuse_search_region


def device_for_rank(device: str) -> str:
    """The device to use ('auto': cuda where available); under torchrun, 'cuda' means this
    process's GPU (LOCAL_RANK)."""
    from ..loading import resolve_device

    device = resolve_device(device)
    if device == "cuda" and "LOCAL_RANK" in os.environ:
        return f"cuda:{int(os.environ['LOCAL_RANK'])}"
    return device


def check(args: argparse.Namespace) -> None:
    """The dataset folder, the shard and the tracking settings, before torch is imported."""
    from ..eval.runner import parse_shard

    require_dir(args.root, "dataset root")
    parse_shard(args.shard)
    refuse_search_region(args)
    parse_settings(args.tracking)


def split_names(text: str) -> list[str]:
    """'a,b,c' -> ['a', 'b', 'c']."""
    return [name.strip() for name in text.split(",") if name.strip()]


def run(args: argparse.Namespace) -> int:
    from ..eval.runner import evaluate, parse_shard

    shard = parse_shard(args.shard)
    summaries = evaluate(
        get_benchmark(args.dataset), args.root, args.tracker, args.out, split=args.split,
        names=split_names(args.sequences) if args.sequences else None, shard=shard, quiet=args.quiet,
        model=args.model, device=device_for_rank(args.device), presence_threshold=args.presence_threshold,
        nanotrack_folder=args.nanotrack, tracking=parse_settings(args.tracking),
    )  # fmt: skip
    if not args.quiet:
        where = f" (shard {shard[0]}/{shard[1]})" if shard[1] > 1 else ""
        for s in summaries:
            print(
                f"{s.tracker}: ran {len(s.done)} sequence(s), {len(s.skipped)} already done{where} -> {s.folder}",
                file=sys.stderr,
            )
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "eval", help="run trackers over a benchmark; results in its official format (resumable, shardable)"
    )
    p.add_argument("--dataset", required=True, choices=list(BENCHMARKS), help="benchmark")
    p.add_argument("--root", required=True, help="dataset folder")
    p.add_argument("--split", help="dataset split (default: the benchmark's, e.g. GOT-10k val, OxUvA dev)")
    p.add_argument("--tracker", nargs="+", default=["dettrack"], choices=TRACKERS, help="trackers to run")
    p.add_argument("--model", default="pretrained", help="dettrack: 'pretrained', a checkpoint path or a backbone name")
    p.add_argument("--nanotrack", help="folder with NanoTrack's backbone and head ONNX files")
    p.add_argument("--out", default="dettrack_eval", help="results folder, one sub-folder per tracker (default: %(default)s)")
    p.add_argument("--shard", help="run shard i of n (i/n, 0-based); default: torchrun's RANK/WORLD_SIZE")
    p.add_argument("--sequences", help="only these sequences or videos (comma-separated)")
    p.add_argument("--presence-threshold", type=float, help="confidence below which the object is reported absent (default: the model's own, 0.25 for the shipped model; 0.5 for NanoTrack)")
    add_removed_search_region(p)
    add_tracking_option(p, "dettrack: ")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto: cuda where available (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    return p
