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
    [C * size * size + 1], the filter flattened and its peak response on this crop (solve_filters
    of one)."""
    return solve_filters(fmap[None], box[None], stride, size)[0]


def solve_filters(fmaps: Tensor, boxes: Tensor, stride: int = FILTER_STRIDE, size: int = FILTER_SIZE) -> Tensor:
    """The filters [B, C * size * size + 1] of the objects in boxes [B, 4] (xyxy, input pixels), box
    i on map i of fmaps [B, C, H, W] or every box on the one map of fmaps [1, C, H, W]: each filter
    flattened and its peak response on that map.

    The samples are a map's size x size patches (zero-padded), one per cell. With fewer cells
    than filter weights (the usual crop) the dual system is solved, its Gram matrix summed from
    the cells' own inner products (patch_gram) instead of formed from the patches. The systems
    are symmetric positive definite (the ridge term): Cholesky. A map's system does not depend on
    the box, so it is factorised once for the boxes on it; maps are solved one by one (faster here
    than batched); the filters and their peaks are read off them by matrix products for all at once."""
    fmaps = fmaps.float()
    count = len(boxes)
    _, channels, height, width = fmaps.shape
    labels = torch.stack([gaussian_label(box, (height, width), stride).flatten() for box in boxes]).to(fmaps.device)  # [B, H W]
    if len(fmaps) not in (1, count):
        raise ValueError(f"{len(fmaps)} maps for {count} boxes: one map per box, or one for all")
    on = labels[:, None] if len(fmaps) == count else labels[None]  # per map, the labels of the boxes on it
    if height * width < channels * size * size:  # dual form: (H W) x (H W) systems; a filter is the label-weighted sum of patches
        alpha = torch.cat([_dual_solve(fmap, mine.reshape(-1, height, width), size) for fmap, mine in zip(fmaps, on)])
        weights = _patch_sums(fmaps, alpha, size)
    else:  # primal form: (C k k) x (C k k) systems
        samples = F.unfold(fmaps, size, padding=size // 2)  # [maps, C k k, H W]
        weights = torch.cat([_ridge_solve(x @ x.T, x @ mine.T, x.pow(2).sum(0).mean()).T for x, mine in zip(samples, on)])
    peak = correlate(fmaps, weights.reshape(count, channels, size, size)).flatten(1).amax(-1).clamp(min=1e-6)
    return torch.cat([weights, peak[:, None]], 1)


def _dual_solve(fmap: Tensor, labels: Tensor, size: int) -> Tensor:
    """The dual weights [K, H, W] of the cells of fmap [C, H, W] for labels [K, H, W]. A cell whose
    patch is all zeros (the map's cells outside a shared pass are exactly zero: a crop reaching past
    the frame) adds nothing to a filter, which sums patches by these weights; only the rectangle
    of cells whose patches are not all zeros enters the system, with the ridge strength of the
    whole map (large objects' template crops lie half or more past the frame: their solves about
    5x faster). The filter is the one the whole system gives."""
    height, width = fmap.shape[-2:]
    live = F.max_pool2d((fmap != 0).any(0)[None, None].float(), size, 1, size // 2)[0, 0] > 0  # cells whose patch holds a non-zero cell
    rows, cols = live.any(1).nonzero()[:, 0], live.any(0).nonzero()[:, 0]
    alpha = labels.new_zeros(labels.shape)
    if not len(rows):
        return alpha
    ys, xs = slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)
    gram = patch_gram(fmap[:, ys, xs], size)
    solved = _ridge_solve(gram, labels[:, ys, xs].flatten(1).T, gram.diagonal().sum() / (height * width))
    alpha[:, ys, xs] = solved.T.reshape(len(labels), ys.stop - ys.start, xs.stop - xs.start)
    return alpha


def _ridge_solve(gram: Tensor, targets: Tensor, scale: Tensor) -> Tensor:
    """X of (gram + lam I) X = targets [N, K], lam FILTER_LAMBDA x `scale` (the mean squared norm of a sample)."""
    lam = FILTER_LAMBDA * scale.clamp(min=torch.finfo(gram.dtype).tiny)
    system = gram + lam * torch.eye(len(gram), device=gram.device, dtype=gram.dtype)
    return torch.cholesky_solve(targets, torch.linalg.cholesky(system))


def patch_gram(fmap: Tensor, size: int) -> Tensor:
    """[H W, H W] inner products of the size x size zero-padded patches of fmap [C, H, W] at every
    cell: the cells' own inner products (one small matrix product) summed over the size^2 offsets."""
    height, width = fmap.shape[-2:]
    padded = F.pad(fmap, (size // 2,) * 4).flatten(1)
    rows, cols = height + 2 * (size // 2), width + 2 * (size // 2)
    cells = (padded.T @ padded).reshape(rows, cols, rows, cols)
    across = cells[:, :width, :, :width].clone()  # the offsets along x, then along y, summed in place
    for dx in range(1, size):
        across += cells[:, dx : dx + width, :, dx : dx + width]
    gram = across[:height, :, :height].clone()
    for dy in range(1, size):
        gram += across[dy : dy + height, :, dy : dy + height]
    return gram.reshape(height * width, height * width)


def _patch_sums(fmaps: Tensor, alpha: Tensor, size: int) -> Tensor:
    """[B, C size size]: the size x size zero-padded patches of a map (fmaps [B, C, H, W], one map
    per weight map, or [1, C, H, W] for all) summed with the weights alpha [B, H, W] of their cells;
    one matrix product against the weights placed at each of the size^2 offsets (a grouped
    convolution with one group per channel is 5x slower)."""
    count, (channels, height, width) = len(alpha), fmaps.shape[1:]
    padded = F.pad(fmaps, (size // 2,) * 4).flatten(2)  # [B or 1, C, (H + k - 1)(W + k - 1)]
    placed = alpha.new_zeros(count, size, size, height + size - 1, width + size - 1)
    for dy in range(size):
        for dx in range(size):
            placed[:, dy, dx, dy : dy + height, dx : dx + width] = alpha
    placed = placed.reshape(count, size * size, -1)
    if len(fmaps) == count:
        return torch.bmm(padded, placed.transpose(1, 2)).flatten(1)
    return (padded[0] @ placed.reshape(count * size * size, -1).T).reshape(channels, count, size * size).transpose(0, 1).flatten(1)


def correlate(fmaps: Tensor, kernels: Tensor) -> Tensor:
    """[B, H, W]: each of kernels [B, C, k, k] correlated with its map of fmaps [B, C, H, W] (or all
    with the one map of fmaps [1, C, H, W]), zero padded to the map's size. Each kernel tap's
    channels meet the map in one matrix product, and the k^2 shifted products are summed (a
    convolution with one output channel per group is several times slower on the CPU)."""
    count, channels, size = kernels.shape[:3]
    height, width = fmaps.shape[-2:]
    padded = F.pad(fmaps, (size // 2,) * 4).flatten(2)  # [B or 1, C, (H + k - 1)(W + k - 1)]
    taps = kernels.permute(0, 2, 3, 1).reshape(count, size * size, channels)
    products = taps @ padded if len(fmaps) == count else (taps.reshape(-1, channels) @ padded[0]).reshape(count, size * size, -1)
    products = products.reshape(count, size, size, height + size - 1, width + size - 1)
    out = products[:, 0, 0, :height, :width].clone()
    for dy in range(size):
        for dx in range(size):
            if dy or dx:
                out += products[:, dy, dx, dy : dy + height, dx : dx + width]
    return out


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
    responses = filter_responses(search_maps, solve_filters(template_maps, template_boxes))[:, 0]
    for response, s_box in zip(responses, search_boxes):
        wanted = gaussian_label(s_box, tuple(response.shape)) if s_box.numel() else torch.zeros_like(response)
        terms.append((response - wanted.to(response.dtype)).pow(2).sum())
    return torch.stack(terms).mean()


def filter_responses(fmap: Tensor, filters: Tensor, size: int = FILTER_SIZE) -> Tensor:
    """Normalised responses [B, 1, H, W] of B filters [B, C * k * k + 1] on fmap [B or 1, C, H, W]
    (one map for all filters, or one each): 1 where a search crop answers as the template crop's
    object did."""
    count, channels = filters.shape[0], fmap.shape[1]
    kernels = filters[:, :-1].reshape(count, channels, size, size).to(fmap.dtype)
    return (correlate(fmap, kernels) / filters[:, -1].reshape(count, 1, 1).to(fmap.dtype))[:, None]


def at_level(responses: Tensor, shape: tuple[int, int]) -> Tensor:
    """Responses [B, 1, H, W] resampled to another level's cells: averaged over the cells a coarser
    one covers, interpolated at a finer one's centres."""
    if tuple(responses.shape[-2:]) == tuple(shape):
        return responses
    if shape[0] < responses.shape[-2]:
        return F.adaptive_avg_pool2d(responses, shape)
    return F.interpolate(responses, size=shape, mode="bilinear", align_corners=False)
