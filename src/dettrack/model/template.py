"""First-frame templates: FPN level mapping, positive and negative features,
and the discriminative (ridge-regression) template T_d of the paper.

Everything here is batched over B template frames and differentiable, so
training back-propagates through the template into the backbone.
"""

from collections import OrderedDict
from typing import Literal, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import boxes as box_ops
from torchvision.ops.poolers import LevelMapper

TemplateVariant = Literal["center", "mean_pos", "mean_diff", "linreg"]
TEMPLATE_VARIANTS: tuple[str, ...] = ("center", "mean_pos", "mean_diff", "linreg")

# Pyramid levels the template is taken from: P2..P5 (P6/'pool' only gives negatives).
K_MIN, K_MAX = 2, 5
# box verifiers (light/verifier.py, appearance.py): ridge strength relative to the mean squared norm of a sample
VERIFIER_LAMBDA = 0.1


def fpn_level(boxes: Tensor, k_min: int = K_MIN, k_max: int = K_MAX) -> Tensor:
    """Mask R-CNN level of each xyxy box: floor(4 + log2(sqrt(wh) / 224)) clamped to [k_min, k_max].

    Delegates to torchvision's LevelMapper (canonical scale 224, level 4, same eps)
    and returns absolute levels (2 for P2 ... 5 for P5) as int64.
    """
    if boxes.ndim != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"boxes must have shape [N, 4] (x1, y1, x2, y2), got {tuple(boxes.shape)}")
    return LevelMapper(k_min, k_max)([boxes]) + k_min


def ridge_template(
    positive: Tensor,
    negatives: Tensor,
    lam: Union[float, Tensor],
    form: Literal["auto", "primal", "dual"] = "auto",
) -> Tensor:
    """Closed-form ridge regression T_d = argmin ||A t - y||^2 + lam ||t||^2.

    A = [positives; negatives] ((P+Q) x D per batch element), y = 1 on the P positive
    rows and 0 on the Q negatives (the paper has P = 1: the box centre on its level).
    Solved with torch.linalg.solve, in the primal form (A^T A + lam I) t = A^T y
    (a D x D system) or the dual form t = A^T (A A^T + lam I)^-1 y (a (P+Q) x (P+Q)
    system), whichever is smaller; no inverse is ever formed. All-zero rows of
    `negatives` (padding) do not change the solution in either form.

    Args:
        positive: [B, D] template features, or [B, P, D] for several positives.
        negatives: [B, Q, D] background features.
        lam: ridge strength, a float or a [B] tensor (one per batch element).
        form: "auto" picks the smaller system.
    Returns:
        [B, D] discriminative templates.
    """
    if positive.ndim == 2:
        positive = positive.unsqueeze(1)
    if positive.ndim != 3 or negatives.ndim != 3 or negatives.shape[0] != positive.shape[0]:
        raise ValueError(
            f"expected positive [B, D] or [B, P, D] and negatives [B, Q, D], "
            f"got {tuple(positive.shape)} and {tuple(negatives.shape)}"
        )
    if negatives.shape[-1] != positive.shape[-1]:
        raise ValueError(f"feature sizes differ: positive D={positive.shape[-1]}, negatives D={negatives.shape[-1]}")
    out_dtype = positive.dtype
    if out_dtype in (torch.float16, torch.bfloat16):  # linalg.solve needs single precision or better
        positive, negatives = positive.float(), negatives.float()
    a = torch.cat([positive, negatives], dim=1)  # [B, P+Q, D]
    b, n, d = a.shape
    p = positive.shape[1]
    lam_t = torch.as_tensor(lam, dtype=a.dtype, device=a.device).reshape(-1, 1, 1).expand(b, 1, 1)
    if form == "auto":
        form = "dual" if n < d else "primal"
    if form == "primal":
        gram = a.transpose(1, 2) @ a + lam_t * torch.eye(d, dtype=a.dtype, device=a.device)
        rhs = a[:, :p, :].sum(1).unsqueeze(-1)  # A^T y sums the positive rows
        return torch.linalg.solve(gram, rhs).squeeze(-1).to(out_dtype)
    if form == "dual":
        gram = a @ a.transpose(1, 2) + lam_t * torch.eye(n, dtype=a.dtype, device=a.device)
        y = torch.zeros(b, n, 1, dtype=a.dtype, device=a.device)
        y[:, :p] = 1
        alpha = torch.linalg.solve(gram, y)
        return (a.transpose(1, 2) @ alpha).squeeze(-1).to(out_dtype)
    raise ValueError(f"form must be 'auto', 'primal' or 'dual', got {form!r}")


def relative_lambda(positive: Tensor, negatives: Tensor, scale: float) -> Tensor:
    """lam = scale * mean squared norm of the rows of A, per batch element.

    The ridge strength only means something relative to the features' energy;
    zero (padding) rows are left out of the mean.
    """
    positive = positive.unsqueeze(1) if positive.ndim == 2 else positive
    energy = torch.cat([positive, negatives], dim=1).pow(2).sum(-1)  # [B, P+Q]
    real = energy > 0
    mean_energy = (energy * real).sum(1) / real.sum(1).clamp(min=1)
    return scale * mean_energy.clamp(min=torch.finfo(energy.dtype).tiny)


def _level_strides(features: "OrderedDict[str, Tensor]", padded_size: tuple[int, int]) -> list[tuple[float, float]]:
    """(stride_y, stride_x) of each level, measured as torchvision's AnchorGenerator does."""
    return [(padded_size[0] / f.shape[-2], padded_size[1] / f.shape[-1]) for f in features.values()]


def sample_at(feature: Tensor, points: Tensor, stride: tuple[float, float]) -> Tensor:
    """Bilinearly sample a [B, D, H, W] map at image points [B, P, 2] (x, y) -> [B, P, D].

    Cell (i, j) of a stride-s map is centred at ((j + 0.5) s, (i + 0.5) s).
    """
    h, w = feature.shape[-2:]
    gx = points[..., 0] / (stride[1] * w) * 2 - 1
    gy = points[..., 1] / (stride[0] * h) * 2 - 1
    grid = torch.stack([gx, gy], dim=-1).unsqueeze(1).to(feature.dtype)  # [B, 1, P, 2]
    out = F.grid_sample(feature, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out.squeeze(2).transpose(1, 2)


def _cell_centres(h: int, w: int, stride: tuple[float, float], device: torch.device) -> Tensor:
    ys = (torch.arange(h, device=device, dtype=torch.float32) + 0.5) * stride[0]
    xs = (torch.arange(w, device=device, dtype=torch.float32) + 0.5) * stride[1]
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=-1)  # [H*W, 2] as (x, y)


def _inside(centres: Tensor, box: Tensor) -> Tensor:
    return (
        (centres[:, 0] >= box[0]) & (centres[:, 0] <= box[2]) & (centres[:, 1] >= box[1]) & (centres[:, 1] <= box[3])
    )


def sample_negatives(
    features: "OrderedDict[str, Tensor]",
    boxes: Tensor,
    image_sizes: list[tuple[int, int]],
    padded_size: tuple[int, int],
    num_negatives: int,
    seed: int = 0,
) -> Tensor:
    """Background features from every level at cells whose centre lies outside the box.

    Only cells inside the real (unpadded) image count. The budget is shared fairly
    across levels (a level with few eligible cells gives them all and the rest goes
    to the others); when the image has fewer eligible cells than the budget, all of
    them are used and the remaining rows are zero, which the ridge solution ignores.
    Each frame draws from its own generator seeded with `seed`, so a template does not
    depend on what else is in its batch.

    Returns:
        [B, num_negatives, D]
    """
    strides = _level_strides(features, padded_size)
    maps = list(features.values())
    b, d = maps[0].shape[:2]
    out = maps[0].new_zeros(b, num_negatives, d)
    level_centres = [_cell_centres(f.shape[-2], f.shape[-1], s, f.device) for f, s in zip(maps, strides)]
    for i in range(b):
        height, width = image_sizes[i]
        eligible = []
        for centres in level_centres:
            keep = ~_inside(centres, boxes[i]) & (centres[:, 0] < width) & (centres[:, 1] < height)
            eligible.append(torch.nonzero(keep).squeeze(1))
        quotas = _fair_shares([len(idx) for idx in eligible], num_negatives)
        generator = torch.Generator().manual_seed(seed)
        rows = []
        for fmap, idx, quota in zip(maps, eligible, quotas):
            if len(idx) > quota:
                idx = idx[torch.randperm(len(idx), generator=generator)[:quota].to(idx.device)]
            rows.append(fmap[i].flatten(1)[:, idx].T)
        picked = torch.cat(rows)
        out[i, : len(picked)] = picked
    return out


def _fair_shares(available: list[int], budget: int) -> list[int]:
    """Split `budget` over bins holding `available` items: equal shares, unused share passed on."""
    shares = [0] * len(available)
    remaining = budget
    order = sorted(range(len(available)), key=lambda j: available[j])
    for rank, j in enumerate(order):
        shares[j] = min(available[j], remaining // (len(available) - rank))
        remaining -= shares[j]
    return shares


def mean_inside(feature: Tensor, boxes: Tensor, stride: tuple[float, float]) -> Tensor:
    """Mean feature over the cells of a [B, D, H, W] map whose centres lie inside each box -> [B, D].

    Falls back to the bilinear sample at the box centre when the box covers no cell centre.
    """
    h, w = feature.shape[-2:]
    centres = _cell_centres(h, w, stride, feature.device)
    out = []
    for i in range(feature.shape[0]):
        inside = _inside(centres, boxes[i])
        if inside.any():
            out.append(feature[i].flatten(1)[:, inside].mean(1))
        else:
            centre = ((boxes[i, :2] + boxes[i, 2:]) / 2).reshape(1, 1, 2)
            out.append(sample_at(feature[i : i + 1], centre, stride)[0, 0])
    return torch.stack(out)


def calibrate_template(template: Tensor, positive: Tensor) -> Tensor:
    """Rescale T_d so that its similarity with the template feature is exactly 1.

    The ridge fit gives the positive a response h / (1 + h) with h = T^T (N^T N + lam I)^-1 T
    (Sherman-Morrison), well below 1 when many negatives resemble the object. Left as is,
    the attention shrinks the object's features along with the background's; calibrated,
    the object keeps its features (S = 1 at the template) and everything else is scaled by
    its response relative to the object's.
    With several positives [B, P, D], their mean response is brought to 1.
    """
    positive = positive.unsqueeze(1) if positive.ndim == 2 else positive
    response = (template.unsqueeze(1) * positive).sum(-1).mean(1, keepdim=True)
    return template / response.clamp(min=1e-6)


def _unit_response(v: Tensor) -> Tensor:
    """Scale v so that <v, v> gives similarity 1 (keeps heuristic templates on the ridge one's scale)."""
    return v / v.pow(2).sum(-1, keepdim=True).clamp(min=torch.finfo(v.dtype).tiny)


class TemplateBuilder(torch.nn.Module):
    """Turns FPN features of template frames and their boxes into templates T_d [B, D].

    variant: 'linreg' (ridge regression against negatives, the paper's default),
    'center' (P_k at the box centre), 'mean_pos' (mean of P_k inside the box) or
    'mean_diff' (mean_pos minus the mean of the negatives). Heuristic variants are
    scaled to unit response on their own vector so similarities stay near 1 on
    the object for every variant; calibrate=True does the same for 'linreg' (see
    calibrate_template), calibrate=False keeps the raw ridge solution.

    levels: 'box' takes the positive from the box's own level P_k only (the paper);
    'all' takes one at the box centre on every level P2..P5 (for 'linreg', each
    gets target 1; the other variants average them), so that the similarity is
    near 1 on the object at every scale, not only at the level the FPN maps the box
    to. A detector whose levels are not yet consistent (short training from an
    ImageNet backbone) otherwise zeroes the levels whose anchors fit the object.
    """

    def __init__(
        self,
        variant: str = "linreg",
        num_negatives: int = 2048,
        ridge_lambda: float = 0.1,
        seed: int = 0,
        calibrate: bool = True,
        levels: str = "box",
    ) -> None:
        super().__init__()
        if variant not in TEMPLATE_VARIANTS:
            raise ValueError(f"unknown template variant {variant!r}; choose one of {', '.join(TEMPLATE_VARIANTS)}")
        if levels not in ("box", "all"):
            raise ValueError(f"template levels must be 'box' or 'all', got {levels!r}")
        self.levels = levels
        if num_negatives < 1:
            raise ValueError(f"num_negatives must be positive, got {num_negatives}")
        self.variant = variant
        self.num_negatives = num_negatives
        self.ridge_lambda = ridge_lambda
        self.seed = seed
        self.calibrate = calibrate

    def forward(
        self,
        features: "OrderedDict[str, Tensor]",
        boxes: Tensor,
        image_sizes: list[tuple[int, int]],
        padded_size: tuple[int, int],
    ) -> Tensor:
        """features: FPN maps of B template frames; boxes: [B, 4] xyxy in the same (resized) pixels.

        Always computed in fp32, also under fp16 autocast on CUDA: the ridge system's Gram
        matrix sums ~1000 squared features and overflows fp16's range.
        """
        with torch.autocast(boxes.device.type, enabled=False):
            features = OrderedDict((name, f.float()) for name, f in features.items())
            boxes = box_ops.clip_boxes_to_image(boxes.float(), padded_size)
            maps = list(features.values())[: K_MAX - K_MIN + 1]
            strides = _level_strides(features, padded_size)
            centres = ((boxes[:, :2] + boxes[:, 2:]) / 2).unsqueeze(1)  # [B, 1, 2]
            every_level = torch.cat([sample_at(f, centres, s) for f, s in zip(maps, strides)], dim=1)  # [B, L, D]
            if self.levels == "all":
                levels = torch.arange(len(maps)).expand(len(boxes), -1)  # [B, L]
                positive = every_level
            else:
                levels = (fpn_level(boxes) - K_MIN).unsqueeze(1)  # [B, 1]
                positive = every_level.gather(1, levels.to(every_level.device)[..., None].expand(-1, -1, every_level.shape[-1]))
            if self.variant == "center":
                return _unit_response(positive.mean(1))
            if self.variant == "mean_pos":
                return _unit_response(self._mean_positive(maps, boxes, levels, strides))
            negatives = sample_negatives(features, boxes, image_sizes, padded_size, self.num_negatives, self.seed)
            if self.variant == "mean_diff":
                pos = self._mean_positive(maps, boxes, levels, strides)
                real = (negatives.abs().sum(-1, keepdim=True) > 0).to(negatives.dtype)
                neg_mean = (negatives * real).sum(1) / real.sum(1).clamp(min=1)
                return _unit_response(pos - neg_mean)
            lam = relative_lambda(positive, negatives, self.ridge_lambda)
            template = ridge_template(positive, negatives, lam)
            if self.calibrate:
                template = calibrate_template(template, positive)
            return template

    @staticmethod
    def _mean_positive(maps: list[Tensor], boxes: Tensor, levels: Tensor, strides: list[tuple[float, float]]) -> Tensor:
        """Mean feature inside each box on its levels ([B, L] level indices), averaged over the levels."""
        return torch.stack(
            [
                torch.stack([mean_inside(maps[k][i : i + 1], boxes[i : i + 1], strides[k])[0] for k in row]).mean(0)
                for i, row in enumerate(levels.tolist())
            ]
        )

    def extra_repr(self) -> str:
        return (
            f"variant={self.variant!r}, levels={self.levels!r}, num_negatives={self.num_negatives}, "
            f"ridge_lambda={self.ridge_lambda}, calibrate={self.calibrate}"
        )


def solve_verifier(positives: Tensor, negatives: Tensor, scale: float = VERIFIER_LAMBDA) -> Tensor:
    """A box verifier's ridge weights [D], answering 1 on positive descriptors [P, D] and 0 on
    negative ones [N, D] (the ridge regression above, λ = scale x the samples' mean squared norm),
    scaled so that the positives answer 1 on average."""
    positives, negatives = positives[None], negatives[None]
    weights = ridge_template(positives, negatives, relative_lambda(positives, negatives, scale))
    return calibrate_template(weights, positives)[0]
