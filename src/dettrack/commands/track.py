"""`dettrack track`: one or many objects through a video, a folder, a camera or a stream."""

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from ..video import OUTPUTS, TrackWriter
from ..tracking import MultiTracker, TrackResult
from .settings import add_tracking_option, parse_settings
from ..video import FrameSource
from .prompts import prompts_from_args, prompts_from_file


def source_argument(text: str):
    """A camera index ('0') or a path / URL."""
    return int(text) if text.isdigit() else text


def run(args: argparse.Namespace, model) -> int:
    options = parse_settings(args.tracking)
    if args.search_region is not None:
        options["search_region"] = args.search_region
    prompts = prompts_from_file(Path(args.boxes)) if args.boxes else {}
    for frame, objs in prompts_from_args(args.box, args.init_frame).items():
        for obj_id, box in objs.items():
            if any(obj_id in o for o in prompts.values()):
                raise ValueError(f"object {obj_id!r} is given by both --box and --boxes")
            prompts.setdefault(frame, {})[obj_id] = box
    if not prompts:
        raise ValueError("no object to track: give --box x,y,w,h or --boxes FILE")
    first = min(prompts)
    if first < args.start:
        raise ValueError(f"an object starts at frame {first}, before --start {args.start}")
    source = FrameSource(source_argument(args.video), args.start, args.end)
    if source.count is not None and max(prompts) >= source.count:
        raise ValueError(f"{args.video}: an object starts at frame {max(prompts)} but the video has {source.count} frames")
    outputs = tuple(o for o in OUTPUTS if not getattr(args, f"no_{o}"))
    writer = TrackWriter(Path(args.out), source.fps, outputs)
    session = MultiTracker(model, smoothing=args.smoothing, presence_threshold=args.presence_threshold, **options)
    total = None if source.count is None else min(source.count, args.end or source.count) - args.start
    bar = tqdm(total=total, desc="tracking", unit="frame", disable=args.quiet)
    started = time.perf_counter()
    index = args.start - 1
    try:
        for index, frame in enumerate(source, start=args.start):
            results = session.update(frame) if index >= first else {}
            for obj_id, box in prompts.get(index, {}).items():
                session.add(frame, box, obj_id)
                writer.start_object(obj_id, index)
                results[obj_id] = TrackResult(session.objects[obj_id].last_box, 1.0, True, None)
            writer.add(index, frame, results)
            bar.update(1)
    except ValueError as err:
        bar.close()
        written = writer.close()  # everything up to the bad frame is complete and kept
        print(f"dettrack track: error: {err}\nkept {len(written)} output file(s) covering frames {args.start}-{index - 1} in {args.out}", file=sys.stderr)
        return 1
    bar.close()
    missed = sorted(f for f in prompts if f > index)
    written = writer.close()
    elapsed = time.perf_counter() - started
    if not args.quiet:
        print(f"tracked {len(session.ids)} object(s) over {writer.frames} frames in {elapsed:.1f} s ({writer.frames / elapsed:.1f} FPS); wrote {len(written)} files to {args.out}")
    if missed:
        print(f"dettrack track: error: the video ended at frame {index} before the objects starting at frame(s) {missed}", file=sys.stderr)
        return 1
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("track", help="track objects given by boxes through a video, folder, camera or stream")
    p.add_argument("video", help="video file, folder of images, camera index or stream URL")
    p.add_argument("--box", action="append", default=[], help="x,y,w,h of an object (repeat for more; ids 0, 1, ...)")
    p.add_argument("--init-frame", type=int, default=0, help="frame on which the --box objects are given")
    p.add_argument("--boxes", help="JSON list of {id, frame, box} or CSV id,frame,x,y,w,h")
    p.add_argument("--model", default="pretrained", help="'pretrained', a checkpoint path or a backbone name")
    p.add_argument("--out", default="dettrack_out", help="output folder (default: %(default)s)")
    p.add_argument("--start", type=int, default=0, help="first frame to read")
    p.add_argument("--end", type=int, help="frame to stop before")
    p.add_argument("--smoothing", action="store_true", help="the paper's temporal smoothness")
    p.add_argument("--presence-threshold", type=float, help="score below which an object is absent (default: the model's)")
    p.add_argument("--search-region", type=int, help="search-region crop size in pixels, 0 = full frames (default: the model's)")
    add_tracking_option(p)
    for name in OUTPUTS:
        p.add_argument(f"--no-{name}", action="store_true", help=f"do not write the {name} output")
    return p
