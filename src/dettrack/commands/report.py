"""`dettrack report`: score results folders with the official metrics; Markdown, CSV and plots."""

import argparse
import sys

from ..data.textfiles import require_dir
from ..eval.benchmarks import BENCHMARKS, get_benchmark
from .evaluate import split_names


def check(args: argparse.Namespace) -> None:
    """The dataset and results folders, before torch is imported."""
    require_dir(args.root, "dataset root")
    for folder in args.results:
        require_dir(folder, "results folder")


def run(args: argparse.Namespace) -> int:
    from ..eval.report import make_report, summary_table

    report = make_report(
        get_benchmark(args.dataset), args.root, args.results, args.out, split=args.split,
        names=split_names(args.sequences) if args.sequences else None,
    )  # fmt: skip
    if not args.quiet:
        print(summary_table(report.scores))
        print(f"wrote {len(report.files)} files to {args.out}", file=sys.stderr)
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "report", help="score results (dettrack eval's or any in the official formats); tables and plots"
    )
    p.add_argument("results", nargs="+", help="results folders: one per tracker, or a dettrack eval --out folder")
    p.add_argument("--dataset", required=True, choices=list(BENCHMARKS), help="benchmark")
    p.add_argument("--root", required=True, help="dataset folder (the ground truth)")
    p.add_argument("--split", help="dataset split (default: the benchmark's)")
    p.add_argument("--sequences", help="score only these sequences or videos (comma-separated)")
    p.add_argument("--out", default="dettrack_report", help="folder for report.md, CSV tables and plots (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    return p
