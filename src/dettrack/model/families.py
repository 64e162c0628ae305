"""The model families dettrack builds, in one registry: what a model config's `family` names.

A family says how its model is built from a recipe's model section (for training: pretrained
detector weights read from their files) and from a checkpoint's config (its weights are loaded
afterwards), which tracking settings a recipe's tracking section starts from, the loss terms its
training reports, whether a recipe must name a backbone, and what `dettrack export` may do to it.
Code that differs by family asks `family_of(config)`; it never compares family names. Building
imports torch; the registry itself does not (recipes are checked before torch is imported).
"""

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..tracking.settings import PAPER_TRACKING

DEFAULT_FAMILY = "maskrcnn"  # configs without a `family` key (every Mask R-CNN checkpoint)


@dataclass(frozen=True)
class Family:
    """One model family (see the module's docstring)."""

    name: str
    build_for_training: Callable[[dict[str, Any]], Any]
    build_from_checkpoint: Callable[[dict[str, Any]], Any]
    tracking_base: Mapping[str, Any]  # TrackingSettings a recipe's tracking section overrides
    losses: tuple[str, ...]
    needs_backbone_name: bool
    folds_batchnorm: bool  # `dettrack export --fold-batchnorm` applies


def family_of(config: Mapping[str, Any]) -> Family:
    """The family a model config (a recipe's model section, a checkpoint's or a model's config) names."""
    name = config.get("family", DEFAULT_FAMILY)
    if name not in FAMILIES:
        raise ValueError(f"unknown model family {name!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES[name]


def _options(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "family"}


def _maskrcnn(config: dict[str, Any]) -> Any:
    from .dettrack import build_model

    return build_model(**_options(config))


def _light_for_training(config: dict[str, Any]) -> Any:
    from .light import build_light_model

    return build_light_model(**_options(config))


def _light_from_checkpoint(config: dict[str, Any]) -> Any:
    from .light import LightDetTrack

    return LightDetTrack(**_options(config))


FAMILIES: dict[str, Family] = {
    "maskrcnn": Family(
        name="maskrcnn",
        build_for_training=_maskrcnn,
        build_from_checkpoint=_maskrcnn,
        tracking_base=PAPER_TRACKING,
        # torchvision's Mask R-CNN terms, in detection and tracking alike
        losses=("loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg", "loss_mask"),
        needs_backbone_name=True,
        folds_batchnorm=True,
    ),
    "light": Family(
        name="light",
        build_for_training=_light_for_training,
        build_from_checkpoint=_light_from_checkpoint,
        tracking_base={},  # TrackingSettings' own defaults
        # model.light.losses
        losses=("loss_track_cls", "loss_track_box", "loss_track_dfl", "loss_track_filter", "loss_distill_cls", "loss_distill_box", "loss_mask"),
        needs_backbone_name=False,
        folds_batchnorm=False,  # its norms are trainable GroupNorms
    ),
}
