"""The tracking session's settings: one typed, validated object, stored with a model's checkpoint."""

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Mapping


@dataclass(frozen=True)
class TrackingSettings:
    """How a TemplateTracker follows objects.

    presence_threshold: below this score the object is reported absent (its box is the best guess).
    follow_threshold: the tracked box moves to the winner when its score is at least this; below,
        the object is taken as lost and searched for where it was last seen (a lower bar than
        presence_threshold keeps following an object the network is unsure of).
    context: the search crop's side is context x sqrt((w + p)(h + p)), p = (w + h) / 2, around
        the last box (SiamFC's exemplar context, widened); the template is cut the same way.
    search_size: side in pixels of the network input the crop is resized to.
    template_context: the template frame's crop (0: the same as context); a wider one, cut at the
        same scale, gives the ridge regression more of the object's surroundings as negatives.
    window_influence: weight of a Hanning window over the crop against the network's score
        when ranking candidates (0: the score alone, the paper's stateless tracker).
    scale_penalty: how fast a candidate's ranking score falls with its change of size and aspect
        from the last box (SiamRPN's penalty; 0: none). It keeps a small target from jumping to
        the coarse levels' larger boxes around it (a helmet's whole player).
    size_rate: how far the reported size moves to the winner's per frame (1: all the way).
    lost_growth: after an absent answer the next crop's context grows by this factor (up to
        the whole frame), so an object that moved away while hidden can be found again.
    mask_threshold: mask probability above which a pixel is the object's.
    masks: compute masks (False: boxes only, faster).
    """

    presence_threshold: float = 0.3
    follow_threshold: float = 0.3
    context: float = 2.5
    search_size: int = 416
    template_context: float = 0.0
    window_influence: float = 0.3
    scale_penalty: float = 0.0
    size_rate: float = 0.5
    lost_growth: float = 1.0
    mask_threshold: float = 0.5
    masks: bool = True

    def __post_init__(self) -> None:
        for name in ("presence_threshold", "follow_threshold", "window_influence", "mask_threshold"):
            _in_range(name, getattr(self, name), 0.0, 1.0)
        _in_range("size_rate", self.size_rate, 0.0, 1.0, low_open=True)
        if not (isinstance(self.scale_penalty, (int, float)) and not isinstance(self.scale_penalty, bool) and self.scale_penalty >= 0):
            raise ValueError(f"scale_penalty must be a number >= 0, got {self.scale_penalty!r}")
        if not isinstance(self.search_size, int) or isinstance(self.search_size, bool) or self.search_size < 64 or self.search_size % 32:
            raise ValueError(f"search_size must be an integer multiple of 32, at least 64, got {self.search_size!r}")
        if not self.context > 1.0:
            raise ValueError(f"context must be > 1 (the crop must hold the object), got {self.context!r}")
        if not (self.template_context == 0 or self.template_context > 1.0):
            raise ValueError(f"template_context must be 0 (as context) or > 1, got {self.template_context!r}")
        if not self.lost_growth >= 1.0:
            raise ValueError(f"lost_growth must be >= 1, got {self.lost_growth!r}")
        if not isinstance(self.masks, bool):
            raise ValueError(f"masks must be true or false, got {self.masks!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str = "tracking settings") -> "TrackingSettings":
        """Settings from a dict (a checkpoint's or a recipe's), naming any unknown key."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        try:
            return cls(**dict(values))
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None

    def updated(self, **changes: Any) -> "TrackingSettings":
        """A copy with the given settings changed (None values are ignored); an unknown name is a ValueError."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown tracking setting(s) {', '.join(unknown)} for this model; known: {', '.join(sorted(known))}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _in_range(name: str, value: Any, low: float, high: float, low_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (low < value if low_open else low <= value) and value <= high
    if not ok:
        bound = "(" if low_open else "["
        raise ValueError(f"{name} must be a number in {bound}{low:g}, {high:g}], got {value!r}")
