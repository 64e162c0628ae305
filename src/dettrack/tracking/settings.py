"""The tracking session's settings: one typed, validated object, stored with a model's checkpoint.

Older Mask R-CNN checkpoints and recipes hold the settings of MultiTracker, the family's former
session; from_multitracker reads them (the one place that knows them).
"""

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Mapping, Optional

CONFIDENCES = ("identity", "presence")

# How the Mask R-CNN family tracks unless told otherwise (the paper's tracker: the whole frame,
# the top candidate, absent below 0.5, no motion prior); such a model's tracking_defaults start as
# these, a recipe's tracking section or `dettrack export --tracking` changes them.
PAPER_TRACKING: dict[str, Any] = {
    "full_frame": True, "presence_threshold": 0.5, "follow_threshold": 0.5, "window_influence": 0.0, "size_rate": 1.0,
}


@dataclass(frozen=True)
class TrackingSettings:
    """How a TemplateTracker follows objects (the same settings for every model family).

    presence_threshold: below this confidence the object is reported absent (its box is the best guess).
    confidence: what the confidence of an answer is. "identity": how much the answer looks like the
        object given on its template frame against everything else that frame showed (the model's
        verifier, about 1 for the object and 0 for its surroundings and look-alikes, whatever its
        class or size; models without a verifier report their score); "presence": the network's
        score for an object at the answer (the light family's largest COCO class probability
        under the template's attention), which tells "an object is here" more than "it is mine".
    appearance_weight: with a model that verifies identity and holds an appearance verifier (the
        light family's `appearance`: a frozen ImageNet network's view of the box, solved against
        the template frame as the identity is), the confidence is (1 - w) x the identity + w x
        that verifier's answer (0: the identity alone). Two views that were trained on different
        data disagree where each alone is unsure: a look-alike, an object no COCO class names.
    identity_weight: with a model that verifies identity (confidence "identity"), a winner whose
        confidence is below 0.5 is compared with up to three distinct rivals in its crop (the best
        other candidates by the motion prior, non-overlapping) by (1 - w) x ranking score + w x
        confidence, and the best takes the answer: a look-alike that the motion prior prefers
        loses to the object beside it, and an object back in view is taken again (0: the ranking
        score alone). A rival that another tracked object answers with confidence 0.5 or more
        is that object's and is never taken.
    follow_threshold: the tracked box moves to the winner when its confidence is at least this;
        below, the object is taken as lost and searched for where it was last seen (a lower bar
        than presence_threshold keeps following an object the network is unsure of).
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
    size_rate: how far the reported size moves to the winner's per frame, times the winner's
        score (SiamRPN's update: an unsure winner barely changes the size, so the box cannot
        creep onto the larger object around a part); 1: the winner's size as it is.
    lost_growth: after an absent answer the next crop's context grows by this factor (up to
        the whole frame), so an object that moved away while hidden can be found again.
    mask_threshold: mask probability above which a pixel is the object's.
    masks: compute masks (False: boxes only, faster).
    full_frame: search the whole frame at the network's own input size instead of a crop around
        the last box (the paper's stateless tracker: the object is found wherever it is, at the
        cost of a full-frame pass; the Mask R-CNN family's default). search_size is then unused.
    smoothing: the paper's temporal smoothness: the candidates' scores are blended with the
        IoU of their masks with the previous answer (tracking.TemporalSmoother; masks needed).
    template_update: how far an object's template moves, at each update, towards what its latest
        answer shows (0: the first frame's template throughout, the paper's tracker); the model
        says which parts move (model.update_templates: the light
        family's spatial filter, the Mask R-CNN family's T_d). A running average follows an
        object whose look changes, as correlation-filter trackers update their filters.
    update_every: frames between template updates (each solves the updated parts once per object).
    update_threshold: an answer updates the template only when the network's own score for it is
        at least this (its presence: for the light family the largest COCO class probability under
        the template's attention, not the verifier's identity, which stays the first frame's judge).
    hold_ratio: the box stops following the winner (the object taken as hidden) when its ranking
        score falls below hold_ratio x the object's running score, as a correlation filter's
        peak drops when an occluder or a look-alike takes over the crop; the running score
        follows each winner that is followed and sinks a little on every held frame, so an
        object whose look has changed for good is followed again (0: always follow, within
        follow_threshold). A held box coasts along the object's recent motion; held answers do
        not update the template.
    box_calibration: how much of the difference between the given box and the network's own box
        for the object on the template frame (their ratios of width and height, each at most 1.65x
        either way) is applied to every later candidate, so the tracked box keeps the given box's
        convention (a tight box, arms left out) instead of drifting to the network's (0: none).
    size_check: for objects smaller than this (the square root of the last box's area, in frame
        pixels; 0: never), with a model that verifies identity, the verifier chooses the answer's
        size: the winner's box, the last answer's size at the winner's centre, or their geometric
        mean, whichever looks most like the object. On a small or far target, upsampled into the
        crop, the network's box regression can grow the box onto what surrounds it (a tower onto
        its island); the verifier, solved against boxes of the object's own size, prefers the
        size the object has.
    redetect_after: with a model that verifies identity, an object reported absent more than
        this many answers in a row is also searched in a crop redetect_width times as wide, at
        the same scale, on every frame until it is present again (0: never). The crop follows
        the winners while the object is away, so an object that comes back elsewhere can fall
        outside it; the wider search finds it again, as long-term trackers re-detect a lost
        target. It costs a pass over redetect_width^2 times the crop's pixels on each such frame,
        nothing while the object is present.
    redetect_threshold: the identity a candidate of the wider search needs to take the track
        (and more than the crop's winner has). Above presence_threshold on purpose: a jump
        needs more evidence than staying (at the presence threshold, the wider crop finds
        something that clears it while the object is away).
    redetect_width: how many times the search crop's side the wider search covers.
    """

    presence_threshold: float = 0.3
    confidence: str = "identity"
    appearance_weight: float = 0.0
    identity_weight: float = 0.0
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
    full_frame: bool = False
    smoothing: bool = False
    template_update: float = 0.0
    update_every: int = 1
    update_threshold: float = 0.4
    hold_ratio: float = 0.0
    box_calibration: float = 0.0
    size_check: float = 0.0
    redetect_after: int = 0
    redetect_threshold: float = 0.5
    redetect_width: float = 2.5

    def __post_init__(self) -> None:
        for name in ("presence_threshold", "follow_threshold", "window_influence", "mask_threshold", "template_update", "box_calibration", "identity_weight", "update_threshold", "appearance_weight"):
            _in_range(name, getattr(self, name), 0.0, 1.0)
        _in_range("hold_ratio", self.hold_ratio, 0.0, 1.0, high_open=True)
        _in_range("size_rate", self.size_rate, 0.0, 1.0, low_open=True)
        if not (isinstance(self.scale_penalty, (int, float)) and not isinstance(self.scale_penalty, bool) and self.scale_penalty >= 0):
            raise ValueError(f"scale_penalty must be a number >= 0, got {self.scale_penalty!r}")
        if not isinstance(self.search_size, int) or isinstance(self.search_size, bool) or self.search_size < 64 or self.search_size % 32:
            raise ValueError(f"search_size must be an integer multiple of 32, at least 64, got {self.search_size!r}")
        if not isinstance(self.update_every, int) or isinstance(self.update_every, bool) or self.update_every < 1:
            raise ValueError(f"update_every must be an integer >= 1 (frames), got {self.update_every!r}")
        if not self.context > 1.0:
            raise ValueError(f"context must be > 1 (the crop must hold the object), got {self.context!r}")
        if not (self.template_context == 0 or self.template_context > 1.0):
            raise ValueError(f"template_context must be 0 (as context) or > 1, got {self.template_context!r}")
        if not (isinstance(self.size_check, (int, float)) and not isinstance(self.size_check, bool) and self.size_check >= 0):
            raise ValueError(f"size_check must be a number of pixels >= 0 (0: never), got {self.size_check!r}")
        _in_range("redetect_threshold", self.redetect_threshold, 0.0, 1.0)
        if not isinstance(self.redetect_after, int) or isinstance(self.redetect_after, bool) or self.redetect_after < 0:
            raise ValueError(f"redetect_after must be an integer >= 0 (absent answers in a row; 0: never), got {self.redetect_after!r}")
        if not self.redetect_width >= 1.0:
            raise ValueError(f"redetect_width must be >= 1, got {self.redetect_width!r}")
        if not self.lost_growth >= 1.0:
            raise ValueError(f"lost_growth must be >= 1, got {self.lost_growth!r}")
        if self.confidence not in CONFIDENCES:
            raise ValueError(f"confidence must be one of {', '.join(CONFIDENCES)}, got {self.confidence!r}")
        for name in ("masks", "full_frame", "smoothing"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.smoothing and not self.masks:
            raise ValueError("smoothing compares the candidates' masks: it needs masks=true")

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], where: str = "tracking settings", base: Optional["TrackingSettings"] = None
    ) -> "TrackingSettings":
        """Settings from a dict (a checkpoint's or a recipe's), the rest from `base` (default: the
        built-in ones), naming any unknown key; MultiTracker's are read by from_multitracker."""
        try:
            values = from_multitracker(values, complete=True)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        try:
            return replace(base or cls(), **values)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None

    def updated(self, **changes: Any) -> "TrackingSettings":
        """A copy with the given settings changed (None values are ignored); an unknown name is a ValueError."""
        changes = from_multitracker({k: v for k, v in changes.items() if v is not None}, complete=False)
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown tracking setting(s) {', '.join(unknown)} for this model; known: {', '.join(sorted(known))}")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClassTracking:
    """How tracks of classes start and end (tracking/auto.py, ClassTracker).

    classes: COCO class names or ids to track. every: frames between detections (1: every frame).
    min_score: detection score that starts a track (0.3: dettrack detect's default, the shipped
    model's best F1 on the COCO images it trained on). max_absent: frames a track may stay absent
    before it ends. match_iou: overlap at which a detection is a live track's object. merge_iou:
    overlap at which two present tracks are taken for one object (the younger ends; 1: never).
    """

    classes: tuple[Any, ...]
    every: int = 10
    min_score: float = 0.3
    max_absent: int = 30
    match_iou: float = 0.3
    merge_iou: float = 1.0

    def __post_init__(self) -> None:
        if not self.classes:
            raise ValueError("classes: give at least one class name (e.g. person) to track")
        for name in ("every", "max_absent"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number of frames >= 1, got {value!r}")
        for name in ("min_score", "match_iou", "merge_iou"):
            _in_range(name, getattr(self, name), 0.0, 1.0, low_open=True)


def _in_range(name: str, value: Any, low: float, high: float, low_open: bool = False, high_open: bool = False) -> None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = number and (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    if not ok:
        raise ValueError(f"{name} must be a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}, got {value!r}")


# MultiTracker's own settings, with the values it took for a missing one
MULTITRACKER_DEFAULTS: dict[str, Any] = {
    "presence_threshold": 0.5, "search_region": 0, "context": 4.0, "refresh_every": 15, "window_influence": 0.0,
    "scale_penalty": 0.0, "size_rate": 1.0, "proposals": 0, "search_proposals": 0, "search_skip_levels": 0,
}
OBSOLETE = ("search_region", "refresh_every", "proposals", "search_proposals", "search_skip_levels")


def from_multitracker(values: Mapping[str, Any], complete: bool) -> dict[str, Any]:
    """MultiTracker's settings as TrackingSettings', one rule for checkpoints, recipes and overrides.

    A mapping holding any of OBSOLETE is MultiTracker's (others pass unchanged); complete=True (a
    stored mapping) first fills its missing keys with MultiTracker's defaults, as it read them. Then:
    search_region 0 -> full_frame; S > 0 -> crops (full_frame false) of search_size S, rounded to a
    multiple of 32, with lost_growth 2 (MultiTracker searched the whole frame again after an
    absent answer; the session widens its crop instead); context c -> c / 2 (MultiTracker's crop
    side was c sqrt(wh), the session's is context sqrt((w + p)(h + p)): 2 sqrt(wh) for a square
    box); presence_threshold also sets follow_threshold (MultiTracker's search left the object only
    below it); refresh_every, proposals, search_proposals and search_skip_levels are dropped (its
    periodic full frames and its own speed-ups inside the network).
    presence_threshold, window_influence, scale_penalty and size_rate keep their meaning.
    """
    if not set(OBSOLETE) & set(values):
        return dict(values)
    values = {**MULTITRACKER_DEFAULTS, **values} if complete else dict(values)
    for name in OBSOLETE:
        low = 1 if name == "refresh_every" else 0
        if name in values and not (isinstance(values[name], int) and not isinstance(values[name], bool) and values[name] >= low):
            raise ValueError(f"{name} must be an integer >= {low}, got {values[name]!r}")
    out = {k: v for k, v in values.items() if k not in OBSOLETE}
    if "search_region" in values:
        region = values["search_region"]
        out["full_frame"] = region == 0
        if region:
            out.update(search_size=max(64, 32 * round(region / 32)), lost_growth=2.0)
    if "context" in values:
        context = values["context"]
        if not (isinstance(context, (int, float)) and not isinstance(context, bool) and context > 2):
            raise ValueError(f"context must be a number > 2 in MultiTracker's settings (read as context / 2), got {context!r}")
        out["context"] = context / 2
    if "presence_threshold" in values:
        out.setdefault("follow_threshold", values["presence_threshold"])
    return out
