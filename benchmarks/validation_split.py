"""AO and success rates (GOT-10k's definitions) of every tracker on the demo model's validation split.

Reads the result folders that `dettrack eval` wrote for the held-out OTB and DAVIS-2016
sequences (one sub-folder per tracker, `sequences/<name>.json` with per-frame boxes) and
scores the boxes against the ground truth: the first frame is not scored, nor frames
where the object is absent; scores are pooled over the frames of all sequences.
Example:
    dettrack eval --dataset otb --root ../shared/data/otb --tracker dettrack,csrt,kcf,nanotrack --out runs/val_otb ...
    dettrack eval --dataset davis2016 --root ../shared/data/davis2016 --sequences bmx-trees,camel,dog,libby --out runs/val_davis ...
    python benchmarks/validation_split.py --results otb=runs/val_otb davis2016=runs/val_davis
"""

import argparse
import json
from pathlib import Path

import numpy as np

from dettrack.data import open_dataset
from dettrack.eval.metrics.got10k import got10k_sequence_ious

SHARED = Path(__file__).resolve().parents[2] / "shared"


def sequence_ious(results: Path, kind: str, root: Path) -> dict[str, np.ndarray]:
    """IoUs of the scored frames of every sequence that has a result file in `results`."""
    out = {}
    for seq in open_dataset(kind, root):
        path = results / "sequences" / f"{seq.name}.json"
        if not path.is_file():
            continue
        boxes = np.asarray(json.loads(path.read_text())["boxes"], dtype=np.float64)
        if len(boxes) != len(seq):
            raise ValueError(f"{path}: {len(boxes)} boxes for the {len(seq)} frames of {seq.name}")
        height, width = seq.frame(0).shape[:2]
        cover = (seq.present & seq.labelled).astype(np.float64)
        out[f"{kind}/{seq.name}"] = got10k_sequence_ious(boxes, seq.boxes, cover, (width, height), seq.name)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", nargs="+", required=True, metavar="KIND=DIR", help="dataset kind and the eval output folder")
    parser.add_argument("--shared", default=str(SHARED / "data"), help="folder holding otb/ and davis2016/")
    args = parser.parse_args()
    roots = {"otb": "otb", "davis2016": "davis2016"}
    table: dict[str, dict[str, np.ndarray]] = {}
    for item in args.results:
        kind, _, folder = item.partition("=")
        if kind not in roots or not folder:
            raise SystemExit(f"--results takes otb=DIR or davis2016=DIR, got {item!r}")
        for tracker in sorted(p for p in Path(folder).iterdir() if (p / "sequences").is_dir()):
            ious = sequence_ious(tracker, kind, Path(args.shared) / roots[kind])
            table.setdefault(tracker.name, {}).update(ious)
    print("| tracker | sequences | frames | AO | SR0.5 | SR0.75 |")
    print("|---|---|---|---|---|---|")
    for tracker, per_sequence in table.items():
        pooled = np.concatenate(list(per_sequence.values()))
        print(
            f"| {tracker} | {len(per_sequence)} | {len(pooled)} | {pooled.mean():.3f} | "
            f"{(pooled > 0.5).mean():.3f} | {(pooled > 0.75).mean():.3f} |"
        )
    print("\nAO per sequence:\n")
    names = sorted({n for per in table.values() for n in per})
    print("| sequence | " + " | ".join(table) + " |")
    print("|---|" + "---|" * len(table))
    for name in names:
        cells = [f"{table[t][name].mean():.3f}" if name in table[t] else "-" for t in table]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
