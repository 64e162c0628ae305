"""The spatial template: the paper's ridge regression, widened from one cell to k x k cells.

T_d (model/template.py) is a 1 x 1 filter: it tells the object's features from the
background's, not their layout, so among others of its kind (same colours, same parts) the
object scores as they do. This filter is solved the same way, in closed form, on the template
crop's stride-16 map: a k x k x C filter whose correlation answers a Gaussian at the object's
centre and 0 elsewhere, every cell of the crop one sample (a correlation filter, as KCF and
CSRT learn on pixels, here on the detector's features). Its response on a search crop, divided
by its peak on the template crop, is blended into the candidates' scores. Training solves the
same filter on each pair's template crop and pulls its response on the search crop towards the
Gaussian at the object there (filter_loss), so the neck learns features that tell one instance
from its look-alikes (DCFNet's idea, on the paper's pairs).
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

FILTER_STRIDE = 16  # the pyramid level the filter reads
FILTER_SIZE = 5  # k: cells per side
FILTER_LAMBDA = 0.1  # ridge strength relative to the mean squared norm of a sample
FILTER_SIGMA = 0.25  # the label's width, relative to the object's size (at least half a cell)


def solve_filter(fmap: Tensor, box: Tensor, stride: int = FILTER_STRIDE, size: int = FILTER_SIZE) -> Tensor:
    """The filter of the object in `box` ([4] xyxy, input pixels) on its crop's map fmap [C, H, W]:
    [C * size * size + 1], the filter flattened and its peak response on this crop.

    The samples are the map's size x size patches (zero-padded), one per cell. With fewer cells
    than filter weights (the usual crop) the dual system is solved, its Gram matrix summed from
    the cells' own inner products (patch_gram) instead of formed from the patches."""
    fmap = fmap.float()
    channels, height, width = fmap.shape
    label = gaussian_label(box, (height, width), stride).flatten()
    count, dim = height * width, channels * size * size
    tiny = torch.finfo(torch.float32).tiny
    if count < dim:  # dual form: a (H W) x (H W) system; the filter is the label-weighted sum of patches
        gram = patch_gram(fmap, size)
        lam = FILTER_LAMBDA * gram.diagonal().mean().clamp(min=tiny)
        alpha = torch.linalg.solve(gram + lam * torch.eye(count, device=fmap.device), label[:, None])[:, 0]
        padded = F.pad(fmap, (size // 2,) * 4)
        weights = F.conv2d(padded[:, None], alpha.reshape(1, 1, height, width)).flatten()
    else:  # primal form: a (C k k) x (C k k) system
        samples = F.unfold(fmap[None], size, padding=size // 2)[0].T  # [H * W, C * k * k]
        lam = FILTER_LAMBDA * samples.pow(2).sum(1).mean().clamp(min=tiny)
        gram = samples.T @ samples + lam * torch.eye(dim, device=fmap.device)
        weights = torch.linalg.solve(gram, samples.T @ label)
    peak = F.conv2d(fmap[None], weights.reshape(1, channels, size, size), padding=size // 2).max().clamp(min=1e-6)
    return torch.cat([weights, peak[None]])


def patch_gram(fmap: Tensor, size: int) -> Tensor:
    """[H W, H W] inner products of the size x size zero-padded patches of fmap [C, H, W] at every
    cell: the cells' own inner products (one small matrix product) summed over the size^2 offsets."""
    height, width = fmap.shape[-2:]
    padded = F.pad(fmap, (size // 2,) * 4).flatten(1)
    rows, cols = height + 2 * (size // 2), width + 2 * (size // 2)
    cells = (padded.T @ padded).reshape(rows, cols, rows, cols)
    across = sum(cells[:, dx : dx + width, :, dx : dx + width] for dx in range(size))  # the offsets along x, then along y
    gram = sum(across[dy : dy + height, :, dy : dy + height] for dy in range(size))  # type: ignore[index]
    return gram.reshape(height * width, height * width)  # type: ignore[union-attr]


def gaussian_label(box: Tensor, shape: tuple[int, int], stride: int = FILTER_STRIDE) -> Tensor:
    """The filter's wanted answer [H, W] on a map of the given shape: a Gaussian of peak 1 at the
    centre of box ([4] xyxy, input pixels), its width FILTER_SIGMA x the object's size."""
    height, width = shape
    cx, cy = ((box[0] + box[2]) / 2 / stride - 0.5).item(), ((box[1] + box[3]) / 2 / stride - 0.5).item()
    sigma = max(0.5, FILTER_SIGMA * math.sqrt(max(float((box[2] - box[0]) * (box[3] - box[1])), 1.0)) / stride)
    ys, xs = torch.meshgrid(torch.arange(height, device=box.device), torch.arange(width, device=box.device), indexing="ij")
    return torch.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma * sigma)).float()


def filter_loss(template_maps: Tensor, template_boxes: Tensor, search_maps: Tensor, search_boxes: list[Tensor]) -> Tensor:
    """Squared error, summed over cells and averaged over pairs, of each filter solved on a template
    crop's map [B, C, H, W] (its object in template_boxes [B, 4]) against the wanted answer on its
    search crop's map: the Gaussian at search_boxes[i] ([4] input pixels), or 0 everywhere where the
    object is absent (an empty tensor). Differentiable through the closed-form solve."""
    terms = []
    for t_map, t_box, s_map, s_box in zip(template_maps, template_boxes, search_maps, search_boxes):
        response = filter_responses(s_map[None], solve_filter(t_map, t_box)[None])[0, 0]
        wanted = gaussian_label(s_box, tuple(s_map.shape[-2:])) if s_box.numel() else torch.zeros_like(response)
        terms.append((response - wanted.to(response.dtype)).pow(2).sum())
    return torch.stack(terms).mean()


def filter_responses(fmap: Tensor, filters: Tensor, size: int = FILTER_SIZE) -> Tensor:
    """Normalised responses [B, 1, H, W] of B filters [B, C * k * k + 1] on fmap [B or 1, C, H, W]
    (one map for all filters, or one each): 1 where a search crop answers as the template crop's
    object did."""
    count, channels = filters.shape[0], fmap.shape[1]
    weights = filters[:, :-1].reshape(count, channels, size, size).to(fmap.dtype)
    if fmap.shape[0] == 1:
        out = F.conv2d(fmap, weights, padding=size // 2).transpose(0, 1)
    else:
        out = F.conv2d(fmap.reshape(1, -1, *fmap.shape[-2:]), weights, padding=size // 2, groups=count).transpose(0, 1)
    return out / filters[:, -1].reshape(count, 1, 1, 1).to(fmap.dtype)


def at_level(responses: Tensor, shape: tuple[int, int]) -> Tensor:
    """Responses [B, 1, H, W] resampled to another level's cells: averaged over the cells a coarser
    one covers, interpolated at a finer one's centres."""
    if tuple(responses.shape[-2:]) == tuple(shape):
        return responses
    if shape[0] < responses.shape[-2]:
        return F.adaptive_avg_pool2d(responses, shape)
    return F.interpolate(responses, size=shape, mode="bilinear", align_corners=False)
