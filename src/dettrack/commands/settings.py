"""`--tracking KEY=VALUE` options shared by track, eval and export."""

from typing import Any, Sequence

import yaml

from ..tracking.tracker import MultiTracker


def parse_settings(items: Sequence[str]) -> dict[str, Any]:
    """KEY=VALUE pairs (YAML values) naming MultiTracker settings (MultiTracker.DEFAULTS)."""
    settings = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in MultiTracker.DEFAULTS:
            raise ValueError(f"--tracking {item!r}: expected KEY=VALUE with KEY one of {', '.join(MultiTracker.DEFAULTS)}")
        settings[key] = yaml.safe_load(value)
    return settings


def add_tracking_option(parser, help_prefix: str = "") -> None:
    """The repeatable --tracking KEY=VALUE option."""
    parser.add_argument("--tracking", action="append", default=[], metavar="KEY=VALUE",
                        help=f"{help_prefix}a tracking setting ({', '.join(MultiTracker.DEFAULTS)}; default: the model's)")
