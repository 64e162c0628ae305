"""Where weights come from: nothing, a torchvision weights name (downloaded), or a local file.

Also maps torchvision's COCO Mask R-CNN state dict onto a DetTrack model.
"""

import os
from pathlib import Path
from typing import Optional, Union

import torch
from torch import Tensor, nn
from torchvision.models import get_model_weights, get_weight

WeightsSource = Optional[Union[str, os.PathLike]]


def resolve_state_dict(source: WeightsSource, arch: str) -> Optional[dict[str, Tensor]]:
    """Turn a weights source into a state dict.

    source: None (random init), a path to a file saved with torch.save (a state dict,
    or a dict holding one under 'state_dict' / 'model'), a full torchvision weights name
    ('ResNet50_Weights.IMAGENET1K_V2') or a member of `arch`'s weights enum ('IMAGENET1K_V1',
    'DEFAULT'). A name downloads through torchvision's cache, so it needs internet once.
    """
    if source is None:
        return None
    text = os.fspath(source)
    path = Path(text).expanduser()
    if path.exists():
        return load_state_dict_file(path)
    if os.sep in text or text.endswith((".pt", ".pth")):
        raise FileNotFoundError(f"weights file not found: {text}")
    try:
        weights = get_weight(text) if "." in text else get_model_weights(arch)[text]
    except (KeyError, ValueError) as err:
        raise ValueError(
            f"{text!r} is neither an existing file nor a torchvision weights name for {arch} "
            f"(e.g. 'IMAGENET1K_V1' or 'DEFAULT')"
        ) from err
    return weights.get_state_dict(progress=True, check_hash=True)


def load_state_dict_file(path: Union[str, os.PathLike]) -> dict[str, Tensor]:
    """Read a state dict from disk safely (weights_only), unwrapping common checkpoint wrappers."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for corrupt or foreign files
        raise ValueError(f"cannot read weights from {path}: {err}") from err
    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(isinstance(v, Tensor) for v in obj.values()):
        raise ValueError(f"{path} does not hold a state dict of tensors")
    return obj


def load_into(module: nn.Module, state_dict: dict[str, Tensor], ignore_prefixes: tuple[str, ...], what: str) -> None:
    """Load a state dict strictly, except for keys starting with `ignore_prefixes` on either side.

    Raises a ValueError naming the missing / unexpected / mis-shaped keys instead of torch's traceback.
    """
    own = module.state_dict()
    usable = {
        k: v
        for k, v in state_dict.items()
        if not k.startswith(ignore_prefixes) and not (k.endswith("num_batches_tracked") and k not in own)
    }
    unexpected = sorted(set(usable) - set(own))
    missing = sorted(
        k for k in own if k not in usable and not k.startswith(ignore_prefixes) and not k.endswith("num_batches_tracked")
    )
    mis_shaped = sorted(k for k in usable.keys() & own.keys() if usable[k].shape != own[k].shape)
    if unexpected or missing or mis_shaped:
        parts = []
        for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", mis_shaped)):
            if keys:
                parts.append(f"{len(keys)} {label} (e.g. {', '.join(keys[:3])})")
        raise ValueError(f"weights do not fit {what}: " + "; ".join(parts))
    module.load_state_dict(usable, strict=False)


def load_torchvision_maskrcnn(model: nn.Module, source: Union[str, os.PathLike, dict[str, Tensor]]) -> None:
    """Load torchvision's Mask R-CNN weights (e.g. 'MaskRCNN_ResNet50_FPN_Weights.COCO_V1', a file,
    or a state dict) into the detection side of a DetTrack model.

    torchvision's keys map one to one onto DetTrack's detection path (backbone, rpn,
    roi_heads.box_*, roi_heads.mask_*). The tracking predictors have no counterpart: they
    are initialised from the detector's foreground classes (mean over classes), which is
    a far better start for fine-tuning than random weights.
    """
    state_dict = source if isinstance(source, dict) else resolve_state_dict(source, "maskrcnn_resnet50_fpn")
    tracking = ("roi_heads.track_box_predictor.", "roi_heads.track_mask_predictor.")
    load_into(model, state_dict, ignore_prefixes=tracking, what="this DetTrack model's detection path")
    init_tracking_from_detection(model)


@torch.no_grad()
def init_tracking_from_detection(model: nn.Module) -> None:
    """Set the class-agnostic tracking predictors to the mean of the detector's foreground classes."""
    heads = model.roi_heads
    det_box, track_box = heads.box_predictor, heads.track_box_predictor
    track_box.cls_score.weight[0] = det_box.cls_score.weight[0]
    track_box.cls_score.bias[0] = det_box.cls_score.bias[0]
    track_box.cls_score.weight[1] = det_box.cls_score.weight[1:].mean(0)
    track_box.cls_score.bias[1] = det_box.cls_score.bias[1:].mean(0)
    reg_w = det_box.bbox_pred.weight.view(-1, 4, det_box.bbox_pred.weight.shape[-1])
    reg_b = det_box.bbox_pred.bias.view(-1, 4)
    track_box.bbox_pred.weight.copy_(torch.cat([reg_w[0], reg_w[1:].mean(0)]))
    track_box.bbox_pred.bias.copy_(torch.cat([reg_b[0], reg_b[1:].mean(0)]))
    det_mask, track_mask = heads.mask_predictor, heads.track_mask_predictor
    track_mask.conv5_mask.load_state_dict(det_mask.conv5_mask.state_dict())
    track_mask.mask_fcn_logits.weight.copy_(det_mask.mask_fcn_logits.weight[1:].mean(0, keepdim=True))
    track_mask.mask_fcn_logits.bias.copy_(det_mask.mask_fcn_logits.bias[1:].mean(0, keepdim=True))
