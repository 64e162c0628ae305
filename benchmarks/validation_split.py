"""Every tracker on the held-out validation sets, as users receive it, from `dettrack eval`'s result folders.

Two sets, never trained on: the validation split (DAVIS-2016 bmx-trees, camel, dog, libby and OTB
Couple, Crossing, Football1) and ../shared/data/uav123_more (eight drone clips: small and far
targets, a building, people among look-alikes, and 47 frames where the target is out of view).
Each tracker's per-sequence results (one sub-folder per tracker, `sequences/<name>.json` with
per-frame boxes, scores and present flags) are scored against the ground truth (dettrack.eval.reported):
AO of the best-guess box on every frame (GOT-10k's protocol) beside AO as reported (a frame the
tracker calls absent counts 0), SR0.5, OxUvA's TPR, TNR and GM of the present flag, and the
confidence's AUC between right frames (IoU >= 0.5) and wrong ones; frames are pooled over a set's
sequences, the first frame is not scored. Then AO per sequence, every box / as reported.
Example:
    dettrack eval --dataset otb --root ../shared/data/otb --tracker dettrack csrt nanotrack --nanotrack ../shared/models/nanotrack_v2 --out runs/val_otb
    dettrack eval --dataset davis2016 --root ../shared/data/davis2016 --sequences bmx-trees,camel,dog,libby --tracker ... --out runs/val_davis
    dettrack eval --dataset uav123 --root ../shared/data/uav123_more --tracker ... --out runs/val_uav
    python benchmarks/validation_split.py --results otb=runs/val_otb davis2016=runs/val_davis uav123_more=runs/val_uav
"""

import argparse
from pathlib import Path

from dettrack.data import open_dataset
from dettrack.eval.reported import TrackFrames, score_as_reported, score_table, tracks_from_results

SHARED = Path(__file__).resolve().parents[2] / "shared"
# result kind -> (dataset format, folder under the data root, the set it belongs to)
KINDS = {
    "otb": ("otb", "otb", "validation split"),
    "davis2016": ("davis2016", "davis2016", "validation split"),
    "uav123_more": ("uav123", "uav123_more", "uav123_more"),
}


def load_results(items: list[str], shared: Path = SHARED / "data") -> dict[str, dict[str, dict[str, TrackFrames]]]:
    """Set -> tracker -> "kind/sequence" -> its frames, from KIND=DIR result folders of `dettrack eval`."""
    sets: dict[str, dict[str, dict[str, TrackFrames]]] = {}
    for item in items:
        kind, _, folder = item.partition("=")
        if kind not in KINDS or not folder:
            raise SystemExit(f"--results takes KIND=DIR with KIND one of {', '.join(KINDS)}, got {item!r}")
        if not Path(folder).is_dir():
            raise SystemExit(f"--results {item}: folder {folder} not found")
        fmt, data, group = KINDS[kind]
        sequences = open_dataset(fmt, shared / data)
        for tracker in sorted(p for p in Path(folder).iterdir() if (p / "sequences").is_dir()):
            found = tracks_from_results(tracker, sequences)
            sets.setdefault(group, {}).setdefault(tracker.name, {}).update({f"{kind}/{k}": v for k, v in found.items()})
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", nargs="+", required=True, metavar="KIND=DIR", help=f"a result kind ({', '.join(KINDS)}) and its eval output folder")
    parser.add_argument("--shared", default=str(SHARED / "data"), help="folder holding otb/, davis2016/ and uav123_more/")
    args = parser.parse_args()
    sets = load_results(args.results, Path(args.shared))
    for group, trackers in sets.items():
        counts = {len(per) for per in trackers.values()}
        note = "" if len(counts) == 1 else " (trackers ran different sequences: compare with care)"
        print(f"\n{group}: {max(counts)} sequences{note}\n")
        print(score_table({name: score_as_reported(per.values()) for name, per in trackers.items()}))
        with_absence = sorted({n for per in trackers.values() for n, t in per.items() if not t.gt_present[t.scored].all()})
        if with_absence:  # the presence cost where the target never leaves, the present flag where it does
            for title, keep in ((f"{group}, the sequences where the target never leaves", False), (f"{group}, {', '.join(with_absence)}", True)):
                print(f"\n{title}:\n")
                print(score_table({name: score_as_reported([t for n, t in per.items() if (n in with_absence) == keep]) for name, per in trackers.items()}))
        print(f"\n{group}, AO per sequence (every box / as reported):\n")
        names = sorted({n for per in trackers.values() for n in per})
        print("| sequence | " + " | ".join(trackers) + " |")
        print("|---|" + "---|" * len(trackers))
        for name in names:
            cells = []
            for per in trackers.values():
                if name in per:
                    s = score_as_reported([per[name]])
                    cells.append(f"{s.ao_every:.3f} / {s.ao_reported:.3f}")
                else:
                    cells.append("-")
            print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
