"""`dettrack paper`: the paper's Tables 2-5 and COCO mAP on a model, beside the published numbers."""

import argparse
import sys

from ..data.textfiles import require_dir
from .evaluate import device_for_rank

DATASETS = {"oxuva": "OxUvA root (dev split)", "got10k": "GOT-10k root (val split)",
            "vot_lt": "VOT-LT / LTB35 root", "davis2017": "DAVIS 2017 root (val split)"}  # fmt: skip


def check(args: argparse.Namespace) -> None:
    """The dataset folders exist and COCO comes whole, before torch is imported."""
    for name, what in DATASETS.items():
        if getattr(args, name):
            require_dir(getattr(args, name), what)
    if bool(args.coco_annotations) != bool(args.coco_images):
        raise ValueError("COCO needs both --coco-annotations and --coco-images")


def run(args: argparse.Namespace) -> int:
    from ..eval.paper import run_paper

    roots = {name.replace("_", "-"): getattr(args, name) for name in DATASETS if getattr(args, name)}
    coco = (args.coco_annotations, args.coco_images) if args.coco_annotations else None
    text = run_paper(
        args.model, roots, args.out, coco=coco, device=device_for_rank(args.device), limit=args.limit, quiet=args.quiet
    )
    print(text)
    print(
        f"wrote {args.out}/paper.md; per-benchmark results in {args.out}/<benchmark>/ (see dettrack report)",
        file=sys.stderr,
    )
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "paper", help="run the paper's benchmark protocols (Tables 2-5, COCO mAP) beside its published numbers"
    )
    p.add_argument("--model", default="pretrained", help="'pretrained', a checkpoint path or a backbone name")
    for name, what in DATASETS.items():
        p.add_argument(f"--{name.replace('_', '-')}", help=what)
    p.add_argument("--coco-annotations", help="COCO instances JSON for the mask mAP (e.g. instances_val2017.json)")
    p.add_argument("--coco-images", help="the folder of that JSON's images")
    p.add_argument("--limit", type=int, help="only the first N sequences / videos / images of each (a quick look)")
    p.add_argument("--out", default="dettrack_paper", help="folder for paper.md and the per-benchmark results (default: %(default)s)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto: cuda where available (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p
