"""`--tracking KEY=VALUE` options shared by track, eval and export."""

import argparse
from typing import Any, Sequence

import yaml

from ..tracking.settings import TrackingSettings

# the session's settings (MultiTracker's older ones are read from old checkpoints only: settings.from_multitracker)
KNOWN = sorted(TrackingSettings().to_dict())


def parse_settings(items: Sequence[str]) -> dict[str, Any]:
    """KEY=VALUE pairs (YAML values) naming tracking settings (see KNOWN)."""
    settings = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in KNOWN:
            raise ValueError(f"--tracking {item!r}: expected KEY=VALUE with KEY one of {', '.join(KNOWN)}")
        settings[key] = yaml.safe_load(value)
    return settings


def add_tracking_option(parser, help_prefix: str = "") -> None:
    """The repeatable --tracking KEY=VALUE option."""
    parser.add_argument("--tracking", action="append", default=[], metavar="KEY=VALUE",
                        help=f"{help_prefix}a tracking setting ({', '.join(KNOWN)}; default: the model's)")


def add_removed_search_region(parser) -> None:
    """--search-region, MultiTracker's spelling: still parsed, so that it is refused with what replaces it."""
    parser.add_argument("--search-region", type=int, help=argparse.SUPPRESS)


def refuse_search_region(args: argparse.Namespace) -> None:
    """A ValueError naming the --tracking setting that replaced --search-region, when it was given."""
    size = getattr(args, "search_region", None)
    if size is not None:
        instead = "--tracking full_frame=true" if size == 0 else f"--tracking search_size={size}"
        raise ValueError(f"--search-region was removed; use {instead}")
