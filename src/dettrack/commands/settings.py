"""`--tracking KEY=VALUE` options shared by track, eval and export."""

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
