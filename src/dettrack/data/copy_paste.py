"""Copy-paste video synthesis: unlimited tracking clips with exact boxes and masks.

Object cut-outs from an instance-segmentation set are pasted onto real photos and animated with
smooth closed-form paths (position, scale, aspect ratio, rotation, a trip out of the frame, an
occluder crossing in front), over a slowly panning and zooming background with photometric
jitter. Because every pose is a function of time, any frame renders on its own: `sample_pair`
draws only a template and a search frame, which keeps training on a CPU cheap.

Ground truth comes from the rendered pixels: an object's visible mask is the set of pixels it owns
once every paste is done, its box is the tight box of that mask, and it is absent (NaN box) when
too little of it is visible (occluded, outside the frame, or both).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

Backgrounds = Sequence[np.ndarray] | Callable[[np.random.Generator], np.ndarray]

_BILINEAR = Image.Resampling.BILINEAR
_MAX_LEVEL = 4  # cut-outs are pre-shrunk by at most 2**4 before warping


# ----------------------------------------------------------------------------------------------
# Inputs


def _as_rgb(image: np.ndarray, what: str) -> np.ndarray:
    """An H x W x 3 uint8 view of `image`; grayscale and RGBA are converted, anything else is refused."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"{what}: expected uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[..., :3]
    raise ValueError(f"{what}: expected an H x W x 3 RGB image, got shape {image.shape}")


@dataclass(frozen=True, eq=False)
class CutOut:
    """One object to paste: an H x W x 3 uint8 RGB crop, its H x W bool mask, a category and an instance key.

    The key names the physical instance: a same-instance distractor re-uses the target's cut-out,
    a same-category distractor is a cut-out with the target's category and another key.
    """

    image: np.ndarray
    mask: np.ndarray
    category: int
    key: Hashable
    _levels: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "image", _as_rgb(self.image, f"cut-out {self.key!r} crop"))
        mask = np.asarray(self.mask)
        if mask.shape != self.image.shape[:2]:
            raise ValueError(
                f"cut-out {self.key!r}: mask shape {mask.shape} does not match crop shape {self.image.shape[:2]}"
            )
        if not mask.any():
            raise ValueError(f"cut-out {self.key!r}: empty mask")
        object.__setattr__(self, "mask", mask.astype(bool, copy=False))

    @property
    def area(self) -> int:
        """Mask pixels: the object's size, which the pasted sizes are relative to."""
        return int(self.mask.sum())

    def rgba(self, level: int) -> Image.Image:
        """The crop with its mask as alpha, shrunk 2**level times (cached), so small pastes do not alias.

        Shrinking is done premultiplied ('RGBa') so pixels outside the mask never bleed into the object.
        """
        if level not in self._levels:
            if level == 0:
                alpha = self.mask.astype(np.uint8) * 255
                self._levels[0] = Image.fromarray(np.dstack([self.image, alpha]), "RGBA")
            else:
                self._levels[level] = self.rgba(level - 1).convert("RGBa").reduce(2).convert("RGBA")
        return self._levels[level]


def make_cutouts(items: Iterable[tuple], min_area: int = 64, min_side: int = 4) -> list[CutOut]:
    """Cut-outs from (image, mask, category) or (image, mask, category, key) items, cropped to each mask's box.

    Masks under `min_area` pixels or with a box side under `min_side` pixels are skipped, with one
    warning that counts them: they paste as noise, not objects. Keys default to the item's position.
    """
    cutouts, skipped, total = [], 0, 0
    for index, item in enumerate(items):
        total += 1
        image, mask, category = item[:3]
        key = item[3] if len(item) > 3 else index
        image, mask = _as_rgb(image, f"item {index} image"), np.asarray(mask, dtype=bool)
        if mask.shape != image.shape[:2]:
            raise ValueError(f"item {index}: mask shape {mask.shape} does not match image shape {image.shape[:2]}")
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        if rows.size == 0 or mask.sum() < min_area or min(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 < min_side:
            skipped += 1
            continue
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        cutouts.append(CutOut(image[box].copy(), mask[box].copy(), int(category), key))
    if skipped:
        warnings.warn(
            f"make_cutouts: skipped {skipped} of {total} masks (under {min_area} pixels or {min_side} pixels a side)",
            stacklevel=2,
        )
    return cutouts


@dataclass(frozen=True)
class SynthConfig:
    """How synthetic clips look. Sizes are fractions of the frame unless said otherwise.

    target_size / distractor_size: an object's sqrt(mask area) over sqrt(H * W) at its mean scale.
    num_others / num_same_category / num_same_instance: inclusive ranges of distractor counts
        (any other instance; same category, other instance; the target's own cut-out again).
    motion: largest drift of an object's centre from its mean position, per axis.
    period: range of periods (frames) of the smooth oscillations that drive every animated quantity.
    scale_change / aspect_change: amplitudes of log-scale and log-aspect-ratio oscillation.
    rotation: amplitude of in-plane rotation, degrees. flip_prob: chance a paste is mirrored.
    exit_prob: chance the target leaves the frame and comes back; exit_ramp frames to leave (and to
        return), exit_frames frames fully outside.
    occluder_prob: chance an object crosses in front of the target; occluder_size is its size over
        the target's, occluder_speed its speed relative to the target in frame diagonals per frame.
    min_visible / min_pixels: an object is present when at least this fraction of its whole area and
        this many pixels are visible.
    background_zoom / background_pan: amplitudes of the background crop's zoom (log) and pan.
    jitter: strength of brightness, contrast and colour jitter (0 switches it off).
    max_tries: scenes drawn before giving up on one whose target is visible in the first frame.
    """

    height: int = 320
    width: int = 480
    target_size: tuple[float, float] = (0.12, 0.4)
    distractor_size: tuple[float, float] = (0.08, 0.35)
    num_others: tuple[int, int] = (0, 2)
    num_same_category: tuple[int, int] = (0, 1)
    num_same_instance: tuple[int, int] = (0, 1)
    motion: float = 0.2
    period: tuple[float, float] = (25.0, 100.0)
    scale_change: float = 0.3
    aspect_change: float = 0.15
    rotation: float = 15.0
    flip_prob: float = 0.5
    exit_prob: float = 0.15
    exit_ramp: tuple[float, float] = (4.0, 12.0)
    exit_frames: tuple[float, float] = (2.0, 15.0)
    occluder_prob: float = 0.3
    occluder_size: tuple[float, float] = (0.8, 2.0)
    occluder_speed: tuple[float, float] = (0.01, 0.04)
    min_visible: float = 0.15
    min_pixels: int = 16
    background_zoom: float = 0.1
    background_pan: float = 0.05
    jitter: float = 0.1
    max_tries: int = 20

    def __post_init__(self) -> None:
        if self.height < 8 or self.width < 8:
            raise ValueError(f"frame size {self.height}x{self.width} is too small")
        for name in ("target_size", "distractor_size", "num_others", "num_same_category", "num_same_instance",
                     "period", "exit_ramp", "exit_frames", "occluder_size", "occluder_speed"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} must be a range 0 <= low <= high, got {(low, high)}")
        for name in ("flip_prob", "exit_prob", "occluder_prob", "min_visible"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        if self.period[0] <= 0 or self.target_size[0] <= 0 or self.distractor_size[0] <= 0:
            raise ValueError("period, target_size and distractor_size must be positive")


def scene_config(settings: dict[str, Any], size: tuple[int, int] = (320, 480)) -> SynthConfig:
    """A SynthConfig of frames `size` (H, W) with a recipe's overrides (lists become ranges);
    an unknown or frame-size key is a ValueError naming it."""
    known = {f.name for f in dataclasses.fields(SynthConfig)} - {"height", "width"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}
    return SynthConfig(height=int(size[0]), width=int(size[1]), **values)


# ----------------------------------------------------------------------------------------------
# Outputs


@dataclass(frozen=True)
class ObjectTrack:
    """One pasted object through a clip.

    boxes: (T, 4) float (x, y, w, h), the tight box of the visible mask, NaN rows where absent.
    present: (T,) bool. masks: (T, H, W) bool visible pixels after occlusion and clipping (kept
        even when too few to count as present). visible: (T,) visible pixels over the whole area
        (the cut-out's mask area times the paste's scale, so about 1 when nothing hides it).
    role: 'target', 'same_instance', 'same_category', 'other' or 'occluder'.
    """

    role: str
    category: int
    key: Hashable
    boxes: np.ndarray
    present: np.ndarray
    masks: np.ndarray
    visible: np.ndarray


@dataclass(frozen=True)
class SyntheticClip:
    """Rendered frames (T, H, W, 3) uint8 at scene times `times`, and every object's track; objects[0] is the target."""

    frames: np.ndarray
    times: np.ndarray
    objects: tuple[ObjectTrack, ...]

    @property
    def target(self) -> ObjectTrack:
        return self.objects[0]

    @property
    def boxes(self) -> np.ndarray:
        return self.target.boxes

    @property
    def present(self) -> np.ndarray:
        return self.target.present

    @property
    def masks(self) -> np.ndarray:
        return self.target.masks

    def __len__(self) -> int:
        return len(self.frames)


def mask_box(mask: np.ndarray) -> np.ndarray:
    """The tight (x, y, w, h) box of a bool mask's pixels, in pixel edges; NaN when the mask is empty."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return np.full(4, np.nan)
    return np.array([cols[0], rows[0], cols[-1] + 1 - cols[0], rows[-1] + 1 - rows[0]], dtype=float)


# ----------------------------------------------------------------------------------------------
# Smooth paths: closed-form functions of time, so any frame can be rendered alone


@dataclass(frozen=True)
class _Wave:
    """A smooth random signal: base + sum_k amp_k sin(freq_k t + phase_k), bounded by sum |amp_k|."""

    base: np.ndarray
    amp: np.ndarray
    freq: np.ndarray
    phase: np.ndarray

    def __call__(self, t: float) -> np.ndarray:
        return self.base + (self.amp * np.sin(self.freq * t + self.phase)).sum(0)


def _wave(rng: np.random.Generator, base, amplitude, period: tuple[float, float], terms: int = 2) -> _Wave:
    """A `_Wave` around `base` whose deviation never exceeds `amplitude` (per dimension)."""
    base = np.atleast_1d(np.asarray(base, dtype=float))
    weights = rng.uniform(0.3, 1.0, (terms, base.size))
    amp = np.asarray(amplitude, dtype=float) * weights / weights.sum(0) * rng.uniform(0.5, 1.0, base.size)
    freq = 2 * np.pi / rng.uniform(*period, (terms, 1))
    return _Wave(base, amp, freq, rng.uniform(0, 2 * np.pi, (terms, base.size)))


@dataclass(frozen=True)
class _Trip:
    """A centre path with a trip out of the frame: ease out over `ramp` frames, stay `hold`, ease back."""

    path: Callable[[float], np.ndarray]
    start: float
    ramp: float
    hold: float
    shift: np.ndarray

    def __call__(self, t: float) -> np.ndarray:
        into = t - self.start
        edge = min(into, 2 * self.ramp + self.hold - into) / self.ramp
        weight = 0.0 if edge <= 0 else 1.0 if edge >= 1 else 0.5 - 0.5 * math.cos(math.pi * edge)
        return self.path(t) + weight * self.shift


@dataclass(frozen=True)
class _Crossing:
    """A centre path that sweeps across another one at constant relative velocity, meeting it at `when`."""

    other: Callable[[float], np.ndarray]
    when: float
    velocity: np.ndarray
    offset: np.ndarray

    def __call__(self, t: float) -> np.ndarray:
        return self.other(t) + self.offset + self.velocity * (t - self.when)


@dataclass(frozen=True)
class _Sprite:
    """A pasted object: its cut-out, role, smooth pose over time and own colour cast ((3, 256) uint8 table)."""

    cutout: CutOut
    role: str
    centre: Callable[[float], np.ndarray]
    log_scale: _Wave
    log_aspect: _Wave
    angle: _Wave
    flip: bool
    tone: np.ndarray

    def affine(self, t: float) -> np.ndarray:
        """2x2 map from cut-out pixels (about the crop centre) to frame pixels at time t."""
        scale, aspect = math.exp(self.log_scale(t)[0]), math.exp(self.log_aspect(t)[0])
        theta = math.radians(self.angle(t)[0])
        sx, sy = scale * math.sqrt(aspect) * (-1 if self.flip else 1), scale / math.sqrt(aspect)
        cos, sin = math.cos(theta), math.sin(theta)
        return np.array([[cos * sx, -sin * sy], [sin * sx, cos * sy]])


@dataclass(frozen=True)
class _Camera:
    """The background photo seen through a window that pans and zooms smoothly."""

    image: Image.Image
    size: np.ndarray  # window (w, h) at zoom 1, in photo pixels
    centre: _Wave
    log_zoom: _Wave

    def window(self, t: float) -> tuple[float, float, float, float]:
        """The photo region (x0, y0, x1, y1) shown at time t, kept inside the photo."""
        size = np.minimum(self.size * math.exp(self.log_zoom(t)[0]), self.image.size)
        low = np.clip(self.centre(t) - size / 2, 0, np.asarray(self.image.size) - size)
        return (low[0], low[1], low[0] + size[0], low[1] + size[1])


@dataclass(frozen=True)
class _Light:
    """Smooth brightness, contrast and colour-balance changes, applied as per-channel lookup tables.

    Tables act pixel by pixel, so lighting the background and each sprite before compositing equals
    lighting the composite, and costs no pass over the frame.
    """

    brightness: _Wave
    log_contrast: _Wave
    log_gain: _Wave

    def table(self, t: float) -> np.ndarray:
        """(3, 256) uint8 lookup table for time t."""
        values = np.arange(256.0)
        toned = (values - 128) * math.exp(self.log_contrast(t)[0]) + 128 + self.brightness(t)[0]
        return np.clip(np.exp(self.log_gain(t))[:, None] * toned, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# Scenes


@dataclass(frozen=True)
class _Frame:
    """One rendered frame with each sprite's visible pixels and whole (unclipped, unoccluded) area."""

    frame: np.ndarray
    masks: np.ndarray  # (N, H, W) bool, in sprite order
    areas: np.ndarray  # (N,) whole areas, in frame pixels


@dataclass(frozen=True)
class Scene:
    """A drawn scene: a camera on a photo, lighting, and sprites (sprites[0] the target) drawn in `order`.

    Nothing random is left: `render(times)` is a pure function of the scene and the times.
    """

    config: SynthConfig
    camera: _Camera
    light: _Light
    sprites: tuple[_Sprite, ...]
    order: tuple[int, ...]

    def render(self, times: Iterable[float]) -> SyntheticClip:
        """Render the frames at `times` (scene frame numbers) with every object's ground truth."""
        times = np.asarray(list(times))
        return _assemble(self, [_render(self, t) for t in times], times)


def _render(scene: Scene, t: float) -> _Frame:
    """Render one lit frame: background, then sprites back to front; the last owner of a pixel sees it."""
    height, width = scene.config.height, scene.config.width
    light = scene.light.table(t)
    view = scene.camera.image.resize((width, height), _BILINEAR, box=scene.camera.window(t))
    frame = np.array(view.point(light.ravel().tolist()))
    owner = np.zeros((height, width), np.int16)
    areas = np.zeros(len(scene.sprites))
    for index in scene.order:
        areas[index] = _paste(scene.sprites[index], t, light, frame, owner, index + 1)
    masks = owner[None] == np.arange(1, len(scene.sprites) + 1, dtype=np.int16)[:, None, None]
    return _Frame(frame, masks, areas)


def _paste(sprite: _Sprite, t: float, light: np.ndarray, frame: np.ndarray, owner: np.ndarray, label: int) -> float:
    """Warp and light `sprite` at time t into `frame`, marking its pixels in `owner`; returns its whole area."""
    height, width = owner.shape
    forward = sprite.affine(t)
    crop = np.array(sprite.cutout.mask.shape[::-1], dtype=float)  # (w, h)
    centre = sprite.centre(t)
    corners = (np.array([[0, 0], [1, 0], [0, 1], [1, 1]]) - 0.5) * crop @ forward.T + centre
    x0, y0 = np.maximum(np.floor(corners.min(0)), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(corners.max(0)), [width, height]).astype(int)
    area = sprite.cutout.area * abs(np.linalg.det(forward))
    if x1 <= x0 or y1 <= y0:
        return area
    level = _level(forward, crop)
    inverse = np.linalg.inv(forward) / 2**level
    offset = crop / 2**(level + 1) + inverse @ (np.array([x0, y0]) - centre)
    coeffs = (*inverse[0], offset[0], *inverse[1], offset[1])
    warped = sprite.cutout.rgba(level).transform((x1 - x0, y1 - y0), Image.Transform.AFFINE, coeffs, _BILINEAR)
    patch = np.asarray(warped)
    mask = patch[..., 3] >= 128
    tables = np.take_along_axis(light, sprite.tone.astype(np.intp), 1)  # the sprite's cast, then the light
    lit = np.stack([tables[c][patch[..., c]] for c in range(3)], axis=-1)
    np.copyto(frame[y0:y1, x0:x1], lit, where=mask[..., None])
    np.putmask(owner[y0:y1, x0:x1], mask, label)
    return area


def _level(forward: np.ndarray, crop: np.ndarray) -> int:
    """Pyramid level to warp from: halve the cut-out while the paste still shrinks it 2x, keeping >= 4 pixels."""
    shrink = 1.0 / max(np.linalg.svd(forward, compute_uv=False).min(), 1e-6)
    level = int(np.clip(math.floor(math.log2(max(shrink, 1.0))), 0, _MAX_LEVEL))
    while level and crop.min() / 2**level < 4:
        level -= 1
    return level


def _assemble(scene: Scene, rendered: list[_Frame], times: np.ndarray) -> SyntheticClip:
    """Stack rendered frames into a clip, deciding presence and boxes from the visible masks."""
    config = scene.config
    masks = np.stack([r.masks for r in rendered], axis=1)  # (N, T, H, W)
    areas = np.stack([r.areas for r in rendered], axis=1)  # (N, T)
    counts = masks.sum(axis=(2, 3))
    visible = counts / np.maximum(areas, 1e-9)
    present = _present(counts, visible, config)
    objects = []
    for sprite, obj_masks, obj_present, obj_visible in zip(scene.sprites, masks, present, visible):
        boxes = np.full((len(times), 4), np.nan)
        for i in np.flatnonzero(obj_present):
            boxes[i] = mask_box(obj_masks[i])
        cut = sprite.cutout
        objects.append(ObjectTrack(sprite.role, cut.category, cut.key, boxes, obj_present, obj_masks, obj_visible))
    return SyntheticClip(np.stack([r.frame for r in rendered]), times, tuple(objects))


def _present(counts: np.ndarray, visible: np.ndarray, config: SynthConfig) -> np.ndarray:
    """Whether objects with `counts` visible pixels, a `visible` fraction of their whole area, count as there."""
    return (counts >= max(config.min_pixels, 1)) & (visible >= config.min_visible)


def _background(backgrounds: Backgrounds, rng: np.random.Generator) -> np.ndarray:
    """One background photo: drawn from the list, or made by the callable."""
    if callable(backgrounds):
        return _as_rgb(backgrounds(rng), "background")
    if len(backgrounds) == 0:
        raise ValueError("no background images")
    return _as_rgb(backgrounds[rng.integers(len(backgrounds))], "background")


def _camera(photo: np.ndarray, config: SynthConfig, rng: np.random.Generator) -> _Camera:
    """A window of the frame's aspect on the photo (shrunk for room to zoom and pan) that moves smoothly."""
    image = Image.fromarray(np.ascontiguousarray(photo))
    factor = max(1, min(image.width // config.width, image.height // config.height) // 2)
    if factor > 1:  # a huge photo: shrink once so each frame resamples fewer pixels
        image = image.reduce(factor)
    fit = min(image.width / config.width, image.height / config.height)
    zoom = math.log1p(config.background_zoom)
    size = np.array([config.width, config.height]) * fit / (1 + config.background_zoom) / (1 + 2 * config.background_pan)
    room = np.maximum(np.asarray(image.size) - size, 0)
    centre = size / 2 + rng.uniform(0, 1, 2) * room
    return _Camera(image, size, _wave(rng, centre, config.background_pan * size, config.period),
                   _wave(rng, 0.0, zoom, config.period))


def _light(config: SynthConfig, rng: np.random.Generator) -> _Light:
    """Random lighting around a random base, varying smoothly over time."""
    j = config.jitter
    return _Light(
        _wave(rng, rng.uniform(-1, 1) * 64 * j, 16 * j, config.period),
        _wave(rng, rng.uniform(-1, 1) * 2 * j, 0.5 * j, config.period),
        _wave(rng, rng.uniform(-1, 1, 3) * j, np.full(3, 0.25 * j), config.period),
    )


def _sprite(cutout: CutOut, role: str, size: float, config: SynthConfig, rng: np.random.Generator,
            centre: Callable[[float], np.ndarray] | None = None) -> _Sprite:
    """A sprite of `cutout` at mean size `size`, wandering around a random point unless `centre` is given."""
    frame = np.array([config.width, config.height], dtype=float)
    scale = size * math.sqrt(config.width * config.height / cutout.area)
    if centre is None:
        mean = frame * (0.5 + rng.uniform(-1, 1, 2) * max(0.5 - config.motion, 0.1))
        centre = _wave(rng, mean, config.motion * frame, config.period)
    j = config.jitter
    return _Sprite(
        cutout,
        role,
        centre,
        _wave(rng, math.log(scale), config.scale_change, config.period),
        _wave(rng, rng.uniform(-0.5, 0.5) * config.aspect_change, config.aspect_change, config.period),
        _wave(rng, rng.uniform(-0.5, 0.5) * config.rotation, config.rotation, config.period),
        bool(rng.random() < config.flip_prob),
        _cast(np.exp(rng.uniform(-j, j, 3) + rng.uniform(-j, j))),
    )


def _cast(gain: np.ndarray) -> np.ndarray:
    """(3, 256) uint8 tables scaling each channel by `gain`: a pasted object's own colour cast."""
    return np.clip(gain[:, None] * np.arange(256.0), 0, 255).astype(np.uint8)


def _trip(sprite: _Sprite, config: SynthConfig, duration: int, rng: np.random.Generator) -> _Sprite:
    """The same sprite, with a trip fully out of the frame that ends inside the clip when it fits."""
    path: _Wave = sprite.centre
    ramp, hold = max(rng.uniform(*config.exit_ramp), 1.0), rng.uniform(*config.exit_frames)
    start = rng.uniform(1, max(duration - 1 - 2 * ramp - hold, 1))
    reach = _radius(sprite) + np.abs(path.amp).sum(0)  # farthest the object reaches from its mean centre
    heading = rng.uniform(0, 2 * np.pi)
    direction = np.array([math.cos(heading), math.sin(heading)])
    frame = np.array([config.width, config.height], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        far = np.where(direction > 0, frame + reach - path.base, -reach - path.base) / direction
    distance = np.nanmin(np.where(np.isfinite(far) & (far >= 0), far, np.inf)) + 1.0
    return dataclasses.replace(sprite, centre=_Trip(path, start, ramp, hold, direction * distance))


def _radius(sprite: _Sprite) -> float:
    """Largest distance from the centre to any pixel of the sprite over all time (frame pixels)."""
    scale = math.exp(sprite.log_scale.base[0] + np.abs(sprite.log_scale.amp).sum())
    aspect = math.exp((abs(sprite.log_aspect.base[0]) + np.abs(sprite.log_aspect.amp).sum()) / 2)
    return 0.5 * math.hypot(*sprite.cutout.mask.shape) * scale * aspect


def _occluder(target: _Sprite, size: float, pool: Sequence[CutOut], config: SynthConfig, duration: int,
              rng: np.random.Generator) -> _Sprite:
    """A sprite that crosses in front of the target's (un-tripped) path at a random time of the clip."""
    path = target.centre.path if isinstance(target.centre, _Trip) else target.centre
    when = rng.uniform(1, max(duration - 1, 1))
    heading = rng.uniform(0, 2 * np.pi)
    direction = np.array([math.cos(heading), math.sin(heading)])
    speed = rng.uniform(*config.occluder_speed) * math.hypot(config.width, config.height)
    offset = np.array([-direction[1], direction[0]]) * rng.uniform(-0.2, 0.2) * _radius(target)
    cutout = pool[rng.integers(len(pool))]
    return _sprite(cutout, "occluder", size * rng.uniform(*config.occluder_size), config, rng,
                   _Crossing(path, when, direction * speed, offset))


def _count(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    """A count drawn uniformly from the inclusive range `bounds`."""
    return int(rng.integers(bounds[0], bounds[1] + 1))


def _check_cutouts(cutouts: Sequence[CutOut]) -> None:
    """Refuse an empty pool or items that are not `CutOut`s, naming the problem."""
    if len(cutouts) == 0:
        raise ValueError("no cut-outs: need at least one object to paste")
    bad = [i for i, c in enumerate(cutouts) if not isinstance(c, CutOut)]
    if bad:
        raise ValueError(f"cut-outs must be CutOut objects (see make_cutouts); items {bad[:5]} are not")


def sample_scene(
    cutouts: Sequence[CutOut],
    backgrounds: Backgrounds,
    rng: np.random.Generator,
    config: SynthConfig = SynthConfig(),
    duration: int = 30,
    target: int | None = None,
) -> Scene:
    """Draw a random scene of `duration` frames: target (cutouts[target], or a random one), distractors, events.

    `backgrounds` is a list of photos to draw from, or a callable that makes one from `rng`.
    Events (the target's trip out of the frame, an occluder's crossing) happen after frame 0.
    Distractors of the same category need another cut-out of that category with another key, and
    'other' distractors need another key at all; there are fewer of them when the pool lacks them.
    """
    _check_cutouts(cutouts)
    photo = _background(backgrounds, rng)
    chosen = cutouts[target if target is not None else rng.integers(len(cutouts))]
    target_size = rng.uniform(*config.target_size)
    sprites = [_sprite(chosen, "target", target_size, config, rng)]
    if rng.random() < config.exit_prob:
        sprites[0] = _trip(sprites[0], config, duration, rng)
    kin = [c for c in cutouts if c.category == chosen.category and c.key != chosen.key]
    strangers = [c for c in cutouts if c.key != chosen.key]
    for role, pool, bounds in (("same_instance", [chosen], config.num_same_instance),
                               ("same_category", kin, config.num_same_category),
                               ("other", strangers, config.num_others)):
        for _ in range(_count(rng, bounds) if pool else 0):
            size = rng.uniform(*config.distractor_size)
            sprites.append(_sprite(pool[rng.integers(len(pool))], role, size, config, rng))
    order = list(rng.permutation(len(sprites)))
    if rng.random() < config.occluder_prob:
        sprites.append(_occluder(sprites[0], target_size, strangers or cutouts, config, duration, rng))
        order.append(len(sprites) - 1)
    return Scene(config, _camera(photo, config, rng), _light(config, rng), tuple(sprites),
                 tuple(int(i) for i in order))


def _visible_start(cutouts: Sequence[CutOut], backgrounds: Backgrounds, rng: np.random.Generator,
                   config: SynthConfig, duration: int, target: int | None) -> tuple[Scene, _Frame]:
    """A scene whose target is present in frame 0, with that frame rendered; redraws up to max_tries times."""
    for _ in range(max(config.max_tries, 1)):
        scene = sample_scene(cutouts, backgrounds, rng, config, duration, target)
        first = _render(scene, 0)
        count = first.masks[0].sum()
        if _present(count, count / max(first.areas[0], 1e-9), config):
            return scene, first
    raise RuntimeError(f"no scene with a visible target in {config.max_tries} tries; are the cut-outs tiny?")


def synthesize_sequence(
    cutouts: Sequence[CutOut],
    backgrounds: Backgrounds,
    rng: np.random.Generator,
    num_frames: int = 30,
    config: SynthConfig = SynthConfig(),
    target: int | None = None,
) -> SyntheticClip:
    """A synthetic tracking clip of `num_frames` frames whose target is present in the first frame."""
    if num_frames < 1:
        raise ValueError(f"num_frames must be at least 1, got {num_frames}")
    scene, first = _visible_start(cutouts, backgrounds, rng, config, num_frames, target)
    rest = [_render(scene, t) for t in range(1, num_frames)]
    return _assemble(scene, [first, *rest], np.arange(num_frames))


def sample_pair(
    cutouts: Sequence[CutOut],
    backgrounds: Backgrounds,
    rng: np.random.Generator,
    max_gap: int = 50,
    config: SynthConfig = SynthConfig(),
    target: int | None = None,
    gap: int | None = None,
) -> SyntheticClip:
    """A (template, search) training pair: frames 0 and `gap` of a scene, rendering nothing in between.

    `gap` is drawn from 1..max_gap unless given. The target is present in the template; in the
    search frame it may have moved, turned, shrunk, be occluded or be absent.
    """
    if max_gap < 1:
        raise ValueError(f"max_gap must be at least 1, got {max_gap}")
    gap = int(rng.integers(1, max_gap + 1)) if gap is None else int(gap)
    if gap < 1:
        raise ValueError(f"gap must be at least 1, got {gap}")
    scene, first = _visible_start(cutouts, backgrounds, rng, config, gap + 1, target)
    return _assemble(scene, [first, _render(scene, gap)], np.array([0, gap]))
