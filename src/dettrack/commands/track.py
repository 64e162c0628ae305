"""`dettrack track`: one or many objects through a video, a folder, a camera or a stream."""

import argparse
import contextlib
import itertools
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Hashable, Mapping, Optional, Union

from tqdm import tqdm

from ..video import OUTPUTS, FrameSource, TrackWriter
from ..video.prefetch import prefetched
from .prompts import Prompts, prompts_from_args, prompts_from_file, same_id
from .settings import add_removed_search_region, add_tracking_option, parse_settings, refuse_search_region

if TYPE_CHECKING:
    from ..model.interface import TrackingModel
    from ..tracking.settings import ClassTracking
    from ..types import TrackResult


def source_argument(text: str) -> Union[int, str]:
    """A camera index ('0') or a path / URL."""
    return int(text) if text.isdigit() else text


def gather_prompts(args: argparse.Namespace) -> Prompts:
    """The objects of --box / --init-frame and --boxes, by start frame."""
    prompts = prompts_from_file(Path(args.boxes)) if args.boxes else {}
    for frame, objs in prompts_from_args(args.box, args.init_frame).items():
        for obj_id, box in objs.items():
            if any(same_id(obj_id, other) for o in prompts.values() for other in o):
                raise ValueError(f"object {obj_id!r} is given by both --box and --boxes")
            prompts.setdefault(frame, {})[obj_id] = box
    classes = getattr(args, "classes", None)
    if not prompts and not classes:
        raise ValueError("no object to track: give --box x,y,w,h, --boxes FILE, --select (draw them) or --classes (every object of those classes)")
    ids = [obj_id for objs in prompts.values() for obj_id in objs]
    named = [obj_id for obj_id in ids if not isinstance(obj_id, int)]
    if named and (classes or len(named) < len(ids)):  # mot.txt numbers named objects 1, 2, ...: they could take a number id's number
        beside = "--classes (its tracks are numbered)" if classes else f"number id {next(i for i in ids if isinstance(i, int))!r}"
        raise ValueError(f"object ids must be all numbers or all names: {named[0]!r} beside {beside}")
    return prompts


def checked_prompts(prompts: Prompts, frame_size: tuple[int, int]) -> Prompts:
    """Every box checked against the frame size (a ValueError names the object), clipped to the
    frame with a warning where it sticks out."""
    from ..boxes import xyxy_to_xywh
    from ..tracking.inputs import check_box

    height, width = frame_size
    checked: Prompts = {}
    for frame, objs in prompts.items():
        for obj_id, box in objs.items():
            clipped = tuple(round(v, 2) for v in xyxy_to_xywh(check_box(box, frame_size, name=f"box of object {obj_id!r}")).tolist())
            if clipped != tuple(round(v, 2) for v in box):
                warnings.warn(
                    f"the box of object {obj_id!r} ({', '.join(f'{v:g}' for v in box)}) reaches outside the {width}x{height} "
                    f"frame; tracking its part inside: {', '.join(f'{v:g}' for v in clipped)}",
                    stacklevel=2,
                )
            checked.setdefault(frame, {})[obj_id] = clipped
    return checked


def check(args: argparse.Namespace) -> None:
    """What needs no model (the settings, the objects' boxes, the video and its frame range): bad
    input is reported before torch is imported. With --select the boxes are drawn here, once."""
    if args.select:
        _select(args)
    _prepare(args)


def _select(args: argparse.Namespace) -> None:
    """Open a window on the --init-frame frame and add the boxes drawn there to --box."""
    from .picker import pick_boxes, window_problem

    problem = window_problem()
    if problem:
        raise ValueError(
            f"--select opens a window to draw the boxes in, but {problem}. Instead give --box x,y,w,h (0-based "
            f"pixels of frame {args.init_frame}), a --boxes FILE, or run `dettrack detect` on that frame and copy a "
            "box from its detections.json"
        )
    frame = next(iter(FrameSource(source_argument(args.video), args.init_frame, args.init_frame + 1)))
    boxes = pick_boxes(frame, f"dettrack: {args.video}, frame {args.init_frame}")
    if not boxes:
        raise ValueError("--select: no box was drawn; nothing to track")
    args.box = [*args.box, *(",".join(f"{v:g}" for v in box) for box in boxes)]
    args.select = False


def class_tracking(args: argparse.Namespace) -> Optional["ClassTracking"]:
    """--classes and its options as a ClassTracking (None without --classes), checked."""
    from ..tracking.settings import ClassTracking

    if not args.classes:
        return None
    try:
        return ClassTracking(tuple(args.classes), args.every, args.min_score, args.max_absent)
    except ValueError as err:
        flags = {"every": "--every", "min_score": "--min-score", "max_absent": "--max-absent", "classes": "--classes"}
        name = str(err).split(" ", 1)[0].rstrip(":")
        raise ValueError(f"{flags.get(name, name)}{str(err)[len(name):]}") from None


def _prepare(args: argparse.Namespace) -> tuple[dict, Prompts, FrameSource]:
    """The tracking settings, the objects by start frame and the frame source, all checked."""
    from ..tracking.settings import TrackingSettings

    refuse_search_region(args)
    options = parse_settings(args.tracking)
    if args.presence_threshold is not None:
        options["presence_threshold"] = args.presence_threshold
    TrackingSettings().updated(**options)  # a setting out of range is named here, before any work
    prompts = gather_prompts(args)
    class_tracking(args)
    if not prompts:
        return options, prompts, FrameSource(source_argument(args.video), args.start, args.end)
    if min(prompts) < args.start:
        raise ValueError(f"an object starts at frame {min(prompts)}, before --start {args.start}")
    if args.end is not None and max(prompts) >= args.end:
        raise ValueError(f"an object starts at frame {max(prompts)}, not before --end {args.end}")
    source = FrameSource(source_argument(args.video), args.start, args.end)
    if source.count is not None and max(prompts) >= source.count:
        raise ValueError(f"{args.video}: an object starts at frame {max(prompts)} but the video has {source.count} frames")
    return options, prompts, source


def write_tracks(
    model: "TrackingModel",
    source: FrameSource,
    prompts: Prompts,
    out: Path,
    options: Mapping[str, Any],
    outputs: tuple[str, ...] = OUTPUTS,
    progress: Optional[Callable[[int, Mapping[Hashable, "TrackResult"], Mapping[Hashable, str]], Optional[bool]]] = None,
    lock: Optional[ContextManager] = None,
    classes: Optional["ClassTracking"] = None,
) -> TrackWriter:
    """Track the objects of `prompts` ({frame: {id: box}}, frames of the source's numbering) through
    `source` into the folder `out`; returns the closed writer. With `classes`, the detector also
    starts a track for every object of those classes (tracking.auto.ClassTracker). progress(frame,
    results, names) (names: the class of each track the detector started) is called
    after each frame is written and stops the run (outputs kept, complete up to that frame) when it
    returns False. lock, when given, is held around each frame's network work (a model shared by
    threads). A bad frame raises ValueError, and Ctrl-C KeyboardInterrupt, after the outputs so far
    are finalised (each saying what was kept)."""
    from ..tracking import ClassTracker, open_session

    start = source.start
    frames = prefetched(source)
    first = next(frames)
    prompts = checked_prompts(prompts, first.shape[:2])  # bad boxes fail here, before anything is written
    session = open_session(model, **options)
    tracker = None if classes is None else ClassTracker(session, classes)  # an unknown class fails here too
    writer = TrackWriter(out, source.fps, outputs, background=True)
    last = start - 1  # the last frame written
    stopped = False
    mine, theirs = itertools.tee(itertools.chain([first], frames))
    answers = (session if tracker is None else tracker).track(theirs, {f - start: objs for f, objs in prompts.items()})
    names = {} if tracker is None else tracker.names
    ended, finished = ([] if tracker is None else tracker.ended), 0
    try:
        for frame in mine:
            with lock or contextlib.nullcontext():
                offset, results = next(answers)
            for obj_id in results:  # an object's first frame: the session's answer is its given (or detected) box
                if obj_id not in writer.palette:
                    writer.start_object(obj_id, start + offset, names.get(obj_id, ""))
            writer.add(start + offset, frame, results)
            for obj_id in ended[finished:]:  # tracks that ended on this frame: their files are complete
                writer.end_object(obj_id)
            finished = len(ended)
            last = start + offset
            if progress is not None and progress(last, results, names) is False:
                stopped = True
                break
    except (ValueError, KeyboardInterrupt) as err:
        written = writer.close()  # everything up to the bad frame (or Ctrl-C) is complete and kept
        kept = f"kept {len(written)} output file(s) {f'covering frames {start}-{last}' if writer.frames else 'with no frame'} in {out}"
        if isinstance(err, KeyboardInterrupt):
            raise KeyboardInterrupt(kept) from err
        raise ValueError(f"{err}\n{kept}") from err
    written = writer.close()
    missed = sorted(f for f in prompts if f > last)
    if missed and not stopped:
        raise ValueError(f"{source.name} ended at frame {last}, before the objects starting at frame(s) {missed}; kept {len(written)} output file(s) in {out}")
    return writer


def run(args: argparse.Namespace, model: "TrackingModel") -> int:
    options, prompts, source = _prepare(args)
    if args.smoothing:
        options["smoothing"] = True
    total = None if source.count is None else min(source.count, args.end or source.count) - args.start
    bar = tqdm(total=total, desc="tracking", unit="frame", disable=args.quiet)
    started = time.perf_counter()
    try:
        outputs = tuple(o for o in OUTPUTS if not getattr(args, f"no_{o}"))
        writer = write_tracks(model, source, prompts, Path(args.out), options, outputs, lambda *_: bar.update(1), classes=class_tracking(args))
    finally:
        bar.close()
    if not args.quiet:
        elapsed = time.perf_counter() - started
        print(f"tracked {len(writer.palette)} object(s) over {writer.frames} frames in {elapsed:.1f} s ({writer.frames / elapsed:.1f} FPS); wrote {writer.summary()}")
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("track", help="track objects given by boxes (or every object of some classes) through a video, folder, camera or stream")
    p.add_argument("video", help="video file, folder of images, camera index or stream URL")
    p.add_argument("--box", action="append", default=[], help="x,y,w,h of an object in 0-based pixels of its first frame (repeat for more; ids 0, 1, ...); OTB's and GOT-10k's files are 1-based")
    p.add_argument("--init-frame", type=int, default=0, help="frame on which the --box objects are given (default: %(default)s)")
    p.add_argument("--select", action="store_true", help="draw the objects' boxes with the mouse on the --init-frame frame, in a desktop window (ids after the --box ones)")
    p.add_argument("--boxes", help="JSON list of {id, frame, box} or CSV id,frame,x,y,w,h")
    p.add_argument("--model", default="pretrained", help="'pretrained', a checkpoint path or a backbone name (default: %(default)s)")
    p.add_argument("--out", default="dettrack_out", help="output folder (default: %(default)s)")
    p.add_argument("--start", type=int, default=0, help="first frame to read (default: %(default)s)")
    p.add_argument("--end", type=int, help="frame to stop before (default: the last)")
    p.add_argument("--smoothing", action="store_true", help="the paper's temporal smoothness")
    p.add_argument("--presence-threshold", type=float, help="confidence below which an object is reported absent (default: the model's own: 0.25 for the shipped model)")
    add_removed_search_region(p)
    p.add_argument("--classes", nargs="+", metavar="CLASS", help="also track every object of these COCO classes (e.g. person car): the detector starts a track for each, ids 1, 2, ... in order of appearance")
    p.add_argument("--every", type=int, default=10, help="with --classes: frames between detections (default: %(default)s)")
    p.add_argument("--min-score", type=float, default=0.3, help="with --classes: detection score that starts a track (default: %(default)s, as dettrack detect's)")
    p.add_argument("--max-absent", type=int, default=30, help="with --classes: frames a track may stay absent before it ends (default: %(default)s)")
    add_tracking_option(p)
    for name in OUTPUTS:
        p.add_argument(f"--no-{name}", action="store_true", help=f"do not write the {name} output")
    return p
