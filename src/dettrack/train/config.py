"""Training recipes: YAML files with sections model, data, val, train and tracking, checked on load.

Every key is known and every value checked (RULES): a typo or an out-of-range value is an
error naming the file and the key when the recipe loads, never a silently ignored setting
or a failure mid-run. `--set section.key=value` overrides (value parsed as YAML) come from
the command line.
"""

import copy
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

import yaml

from ..data.copy_paste import scene_config
from ..model.families import family_of
from ..tracking.settings import TrackingSettings

TRAIN_DEFAULTS: dict[str, Any] = {
    "iterations": 1000,
    "batch_size": 2,
    "optimizer": "sgd",  # or adamw
    "lr": 0.01,
    "momentum": 0.9,
    "weight_decay": 1e-4,
    "warmup_iterations": 100,
    "schedule": "cosine",  # or constant
    "grad_clip": 10.0,
    "detection_ratio": 0.25,  # share of iterations that are detection batches
    "loss_weights": {},  # e.g. {loss_mask: 2.0}: a factor per loss term (torchvision's names), 1 for the rest
    "init_from": None,  # a dettrack model file whose weights start the run (fine-tuning; same architecture)
    "init_exclude": [],  # parameter-name prefixes not taken from init_from (they start fresh, may differ in shape)
    "trainable": [],  # parameter-name prefixes that train (e.g. [roi_heads.mask_head]); empty: all
    "checkpoint_every": 200,
    "keep_last": 3,
    "log_every": 10,
    "seed": 0,
    "amp": True,  # fp16 autocast, CUDA only
    "num_workers": 0,
    "threads": 0,  # torch CPU threads per process, 0 = torch's default
}

DATA_DEFAULTS: dict[str, Any] = {
    "detection": [],  # [{format: coco, root, annotations, images}]
    "sequences": [],  # [{format, root, split?, exclude?: [...], only?: [...]}]
    "image_pairs": [],  # [{format: coco, ...}] still images: template = image, search = a region of it
    "copy_paste": [],  # [{format: coco, root, annotations, images}] object sources for synthetic videos
    "pair_shares": {"sequences": 1.0, "image_pairs": 1.0, "copy_paste": 1.0},  # relative weights of pair sources
    "max_gap": 50,  # frames between template and search frame
    "template_jitter": 0.05,  # template box jitter, relative to its size
    "copy_paste_size": [320, 480],  # H, W of synthesised frames
    "copy_paste_scene": {},  # synthetic clips' SynthConfig fields, e.g. {num_same_category: [1, 3]} (more look-alikes)
    "copy_paste_regions": 0,  # random polygonal regions per copy-paste image added as targets (things no category names)
    "search_crop": 0.5,  # share of pairs whose search frame is cut to a region around the object
    "negative_pairs": 0.0,  # share of pairs whose search frame comes from another pair (object absent)
    "part_pairs": 0.0,  # share of pairs whose object is a random part of its box (same part in both frames)
    "low_res": 0.0,  # share of pairs whose frames are shrunk until the object is 12-48 px across (low-resolution video)
    "photometric": 0.0,  # chance that a pair's template frame (and, drawn separately, its search frame) gets colour/blur jitter
}

VAL_DEFAULTS: dict[str, Any] = {
    "sequences": [],  # held-out sequences, same entries as data.sequences
    "every": 0,  # iterations between validations, 0 = never
    "frame_step": 5,  # track every k-th frame (template on the first)
    "max_frames": 60,
}

# The tracking section: how the trained model is meant to track (tracking.TrackingSettings, from
# the family's base, model.families, unless the recipe says otherwise): stored in its checkpoints
# as model.tracking_defaults and used by validation, the CLI and the API unless overridden.
# Checked by TrackingSettings itself.
SECTIONS = {"model": None, "data": DATA_DEFAULTS, "val": VAL_DEFAULTS, "train": TRAIN_DEFAULTS, "tracking": None}

# What each value may be, checked when the recipe loads (never mid-run): a rule returns None
# when the value fits, else what it should be.
Rule = Callable[[Any], Optional[str]]


def _integer(low: Optional[int] = None) -> Rule:
    def rule(value: Any) -> Optional[str]:
        fits = isinstance(value, int) and not isinstance(value, bool) and (low is None or value >= low)
        return None if fits else "an integer" + ("" if low is None else f" >= {low}")

    return rule


def _number(low: float, high: Optional[float] = None, above: bool = False) -> Rule:
    def rule(value: Any) -> Optional[str]:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        fits = number and (value > low if above else value >= low) and (high is None or value <= high)
        return None if fits else f"a number {'>' if above else '>='} {low:g}" + ("" if high is None else f" and <= {high:g}")

    return rule


def _one_of(*choices: Any) -> Rule:
    return lambda value: None if value in choices else f"one of {', '.join(map(str, choices))}"


def _entries(value: Any) -> Optional[str]:
    fits = isinstance(value, list) and all(isinstance(e, dict) and "format" in e and "root" in e for e in value)
    return None if fits else "a list of {format, root, ...} entries"


def _size(value: Any) -> Optional[str]:
    fits = isinstance(value, list) and len(value) == 2 and all(_integer(1)(v) is None for v in value)
    return None if fits else "[height, width] in pixels"


def _shares(value: Any) -> Optional[str]:
    fits = isinstance(value, dict) and set(value) == set(DATA_DEFAULTS["pair_shares"]) and all(_number(0)(v) is None for v in value.values())
    return None if fits else f"a share >= 0 for each of {', '.join(DATA_DEFAULTS['pair_shares'])}"


def _scene(value: Any) -> Optional[str]:
    if not isinstance(value, dict):
        return "a mapping of synthetic-clip settings (data.copy_paste.SynthConfig fields)"
    try:
        scene_config(value)
    except (TypeError, ValueError) as err:
        return f"valid synthetic-clip settings ({err})"
    return None


def _path_or_none(value: Any) -> Optional[str]:
    return None if value is None or (isinstance(value, str) and value) else "a model file path or null"


SHARE = _number(0, 1)
RULES: dict[str, dict[str, Rule]] = {
    "data": {
        "detection": _entries, "sequences": _entries, "image_pairs": _entries, "copy_paste": _entries,
        "pair_shares": _shares, "max_gap": _integer(1), "template_jitter": _number(0), "copy_paste_size": _size,
        "copy_paste_scene": _scene, "copy_paste_regions": _integer(0),
        "search_crop": SHARE, "negative_pairs": SHARE, "photometric": SHARE, "part_pairs": SHARE, "low_res": SHARE,
    },
    "val": {"sequences": _entries, "every": _integer(0), "frame_step": _integer(1), "max_frames": _integer(1)},
    "train": {
        "iterations": _integer(1), "batch_size": _integer(1), "optimizer": _one_of("sgd", "adamw"), "lr": _number(0, above=True),
        "momentum": SHARE, "weight_decay": _number(0), "warmup_iterations": _integer(0), "schedule": _one_of("cosine", "constant"),
        "grad_clip": _number(0), "detection_ratio": SHARE, "init_from": _path_or_none, "checkpoint_every": _integer(1),
        "keep_last": _integer(0), "log_every": _integer(1), "seed": _integer(), "amp": _one_of(True, False),
        "num_workers": _integer(0), "threads": _integer(0),
    },
}


def load_config(path: Union[str, os.PathLike], overrides: Iterable[str] = ()) -> dict[str, Any]:
    """Read a recipe, apply `section.key=value` overrides, fill defaults, reject unknown keys."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping with sections {', '.join(SECTIONS)}")
    raw = _with_base(raw, path)
    for item in overrides:
        apply_override(raw, item, path)
    return complete(raw, str(path))


def _with_base(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """`base: other.yaml` (relative to this file): start from that recipe, then apply this one's sections."""
    base = raw.pop("base", None)
    if base is None:
        return raw
    parent_path = (path.parent / base).resolve()
    if not parent_path.is_file():
        raise FileNotFoundError(f"{path}: base config not found: {parent_path}")
    parent = _with_base(yaml.safe_load(parent_path.read_text()) or {}, parent_path)
    for section, values in raw.items():
        if isinstance(values, dict) and isinstance(parent.get(section), dict):
            parent[section] = {**parent[section], **values}
        else:
            parent[section] = values
    return parent


def apply_override(raw: dict[str, Any], item: str, source: Union[str, Path] = "command line") -> None:
    """Apply one 'section.key=value' override in place."""
    key, sep, value = item.partition("=")
    section, dot, name = key.partition(".")
    if not sep or not dot or not name:
        raise ValueError(f"override {item!r}: expected section.key=value (e.g. train.iterations=100)")
    raw.setdefault(section, {})[name] = yaml.safe_load(value)


def complete(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """Check sections and keys against the known ones and fill in defaults."""
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ValueError(f"{source}: unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    config: dict[str, Any] = {}
    try:
        family = family_of(raw.get("model") or {})
    except ValueError as err:
        raise ValueError(f"{source}: model.family: {err}") from None
    for section, defaults in SECTIONS.items():
        given = raw.get(section) or {}
        if not isinstance(given, dict):
            raise ValueError(f"{source}: section {section!r} must be a mapping")
        if section == "tracking":  # TrackingSettings names and checks its own keys (MultiTracker's older ones too)
            base = TrackingSettings.from_mapping(family.tracking_base, f"{family.name} family's tracking settings")
            config[section] = TrackingSettings.from_mapping(given, f"{source}: tracking", base).to_dict()
            continue
        if defaults is None:
            config[section] = dict(given)
            continue
        bad = sorted(set(given) - set(defaults))
        if bad:
            raise ValueError(f"{source}: unknown key(s) {', '.join(f'{section}.{k}' for k in bad)}")
        config[section] = {**copy.deepcopy(defaults), **given}
    config["data"]["pair_shares"] = {**DATA_DEFAULTS["pair_shares"], **(config["data"]["pair_shares"] or {})}
    for section, rules in RULES.items():
        for key, rule in rules.items():
            wanted = rule(config[section][key])
            if wanted is not None:
                raise ValueError(f"{source}: {section}.{key} must be {wanted}, got {config[section][key]!r}")
    if family.needs_backbone_name and "name" not in config["model"]:
        raise ValueError(f"{source}: model.name is required (a backbone such as mobilenet_v2_fpn, or family: light)")
    losses = family.losses
    weights = config["train"]["loss_weights"]
    if not isinstance(weights, dict) or sorted(set(weights) - set(losses)):
        raise ValueError(f"{source}: train.loss_weights must map loss names ({', '.join(losses)}) to factors, got {weights!r}")
    for key in ("trainable", "init_exclude"):
        prefixes = config["train"][key]
        if not isinstance(prefixes, list) or not all(isinstance(p, str) and p for p in prefixes):
            raise ValueError(f"{source}: train.{key} must be a list of parameter-name prefixes, got {prefixes!r}")
    return config


def dump_config(config: dict[str, Any]) -> str:
    return yaml.safe_dump(config, sort_keys=False)
