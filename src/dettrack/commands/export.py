"""`dettrack export`: re-save a checkpoint for shipping (fp16 storage, folded batch norms, tracking defaults,
the weights of several runs averaged, an int8 mask head)."""

import argparse
import sys
from pathlib import Path

from ..data.images import IMAGE_EXTENSIONS
from ..data.textfiles import require_file
from ..tracking.settings import TrackingSettings
from .settings import add_tracking_option, parse_settings

CALIBRATION_IMAGES = 64  # images an int8 mask head is calibrated on (the detector's boxes on each, two scales)


def check(args: argparse.Namespace) -> None:
    """The checkpoints exist and the settings are known and in range, before torch is imported."""
    for path in [args.checkpoint, *args.average]:
        require_file(path, "checkpoint")
    if args.appearance and not _torchvision_name(args.appearance):
        require_file(args.appearance, "appearance weights (MobileNetV2)")
    if args.int8_masks:
        if not args.graphs:
            raise ValueError("--int8-masks stores the int8 mask head as a graph: it cannot go with --no-graphs")
        calibration_images(args.int8_masks)
    TrackingSettings().updated(**parse_settings(args.tracking))


def run(args: argparse.Namespace) -> int:
    import torch

    from ..model import load_checkpoint, save_checkpoint
    from ..model.backbone import fold_frozen_batchnorm
    from ..model.families import family_of
    from ..model.soup import average_weights

    model = load_checkpoint(args.checkpoint)
    if args.average:
        average_weights(model, [load_checkpoint(path) for path in args.average], args.average)
    stored = TrackingSettings.from_mapping(model.tracking_defaults, f"{args.checkpoint}: tracking defaults")
    model.tracking_defaults = stored.updated(**parse_settings(args.tracking)).to_dict()  # checked, complete, current names
    family = family_of(model.config)
    if args.appearance:
        if not hasattr(model, "add_appearance"):
            raise ValueError(f"--appearance: the {family.name} family has no appearance verifier (the light family has)")
        model.add_appearance(args.appearance)
    if args.fold_batchnorm and not family.folds_batchnorm:
        raise ValueError(f"--fold-batchnorm folds the Mask R-CNN family's frozen backbone norms; the {family.name} family keeps trainable norms")
    if args.fold_batchnorm and not model.config.get("fold_batchnorm"):
        fold_frozen_batchnorm(model.backbone.body)
        model.config["fold_batchnorm"] = True
    sources = [Path(path).name for path in [args.checkpoint, *args.average]]
    if args.int8_masks and not hasattr(model, "int8_masks"):
        raise ValueError(f"--int8-masks: the {family.name} family has no int8 mask head (the light family has)")
    graphs = None
    if args.graphs and hasattr(model, "runtime_graphs"):
        if args.half:  # the weights as a load of the fp16 file gives them back, so that the graphs' cache names match
            with torch.no_grad():
                for tensor in model.state_dict().values():
                    if tensor.is_floating_point():
                        tensor.copy_(tensor.half())
        if args.int8_masks:
            model.set_int8_masks("")  # calibrated again below
        graphs = model.runtime_graphs()
        if args.int8_masks:
            from ..data.images import load_image
            from ..model.light.quantize import quantize_masks
            from ..tracking.inputs import frame_to_tensor

            images = (frame_to_tensor(load_image(path), name=str(path)) for path in calibration_images(args.int8_masks))
            graphs.update(quantize_masks(model, images))
    elif getattr(model, "int8_masks", ""):  # its graph is not stored: other machines could not run it
        model.set_int8_masks("")
    save_checkpoint(model, args.out, extra={"exported_from": sources[0] if len(sources) == 1 else sources}, half=args.half, graphs=graphs)
    if not args.quiet:
        size = Path(args.out).stat().st_size / 2**20
        print(f"wrote {args.out} ({size:.1f} MB); tracking defaults: {model.tracking_defaults or 'none'}", file=sys.stderr)
    return 0


def calibration_images(folder: str) -> list[Path]:
    """Up to CALIBRATION_IMAGES image files under `folder` (searched recursively), evenly spaced in
    name order; a missing or imageless folder is a clear error."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"--int8-masks: {folder}: folder of calibration images not found")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not paths:
        raise ValueError(f"--int8-masks: {folder}: no image files ({', '.join(sorted(IMAGE_EXTENSIONS))}) in it or below it")
    step = max(1, len(paths) // CALIBRATION_IMAGES)
    return paths[::step][:CALIBRATION_IMAGES]


def _torchvision_name(source: str) -> bool:
    """Whether `source` names torchvision's MobileNetV2 weights rather than a file."""
    return source.startswith("IMAGENET1K_")


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("export", help="re-save a checkpoint (fp16, tracking defaults), e.g. as the shipped model")
    p.add_argument("checkpoint", help="a dettrack checkpoint, e.g. runs/demo/model.pt")
    p.add_argument("out", help="file to write (atomically)")
    p.add_argument("--half", action="store_true", help="store floating-point weights as fp16 (half the size)")
    p.add_argument("--fold-batchnorm", action="store_true",
                   help="fold the backbone's frozen batch norms into its convolutions (same function, faster)")
    p.add_argument("--average", action="append", default=[], metavar="CHECKPOINT",
                   help="average the weights with this run's (repeatable): a model soup of runs of one recipe, e.g. other seeds")
    p.add_argument("--no-graphs", dest="graphs", action="store_false",
                   help="do not store the onnxruntime graphs of the weights (the light family's; stored by default, "
                   "so that a first run on CPU exports nothing); an int8 mask head is then switched off")
    p.add_argument("--appearance", metavar="WEIGHTS",
                   help="add an appearance verifier (light family) with these ImageNet MobileNetV2 weights: a file in "
                   "torchvision's layout or a torchvision weights name (IMAGENET1K_V1, downloaded); its answer enters the "
                   "confidence by the tracking setting appearance_weight")
    p.add_argument("--int8-masks", metavar="IMAGES",
                   help="run the mask head in int8 on CPU (light family; about twice as fast, the same masks within "
                   f"rounding), calibrated on up to {CALIBRATION_IMAGES} images of this folder (searched recursively; "
                   "the detector's boxes on them), e.g. training frames")
    add_tracking_option(p, "to store: ")
    p.add_argument("--quiet", action="store_true")
    return p
