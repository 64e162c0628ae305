"""RoIAlign as two matrix products per RoI, for CPU inference.

torchvision's RoIAlign CPU kernel runs on one thread and walks every bin, sample and channel in
turn. With an axis-aligned box, RoIAlign is separable: a bin's mean over its samples of their
bilinear weights is a product of one weight per row and one per column, so a RoI's output is
Wy @ F @ Wx^T, Wy [out_h, rows] and Wx [out_w, columns] holding the samples' weights over the rows
and columns the RoI reads. Those pixels are cut out once for all RoIs and both products run
batched, on every thread: ten appearance patches (3 x 96 x 96 from a 480p frame) 5.1 -> 1.6 ms,
ten mask RoIs (96 x 14 x 14) 1.4 -> 0.7 ms, 175 patches (ten objects' start) 87 -> 48 ms. The
result equals torchvision's to float rounding (the same samples and weights, summed in another
order). Small calls, whose fixed cost is the products' few dozen tensor ops, and RoIs far longer
than their samples (most of the pixels they span are never read) stay on torchvision's kernel, as
do training, autograd, CUDA and the adaptive sampling ratio.
"""

import math
from typing import Optional, Union

import torch
from torch import Tensor
from torchvision import ops

# calls with fewer sample-channel evaluations than this (RoIs x bins x samples x (channels + 16),
# torchvision's cost per sample grows with the channels plus a fixed part) stay on torchvision's kernel
PRODUCTS_FROM = 600_000
CHUNK_VALUES = 4_000_000  # RoIs whose cut-out pixels exceed this many values are pooled in chunks


def roi_align(
    input: Tensor,
    boxes: Union[Tensor, list[Tensor]],
    output_size: Union[int, tuple[int, int]],
    spatial_scale: float = 1.0,
    sampling_ratio: int = -1,
    aligned: bool = False,
) -> Tensor:
    """torchvision.ops.roi_align's arguments and result [K, C, out_h, out_w]; in CPU inference with
    a fixed sampling_ratio, large calls are computed by matrix products (the module's docstring)."""
    rois = boxes if isinstance(boxes, Tensor) else _roi_format(boxes)
    out_h, out_w = (output_size, output_size) if isinstance(output_size, int) else output_size
    axes = _axes(input, rois, (out_h, out_w), spatial_scale, sampling_ratio, aligned) if _worth_products(input, rois, out_h * out_w, sampling_ratio) else None
    if axes is None:
        return _torchvision(input, rois, output_size, spatial_scale, sampling_ratio, aligned)
    (first_row, row_weights), (first_col, col_weights) = axes
    index, rows, cols = rois[:, 0].long(), row_weights.shape[2], col_weights.shape[2]
    step = max(1, CHUNK_VALUES // (input.shape[1] * rows * cols))
    chunks = [
        _products(_gather(input, index[k : k + step], first_row[k : k + step], first_col[k : k + step], rows, cols), row_weights[k : k + step], col_weights[k : k + step])
        for k in range(0, len(rois), step)
    ]
    return torch.cat(chunks) if len(chunks) > 1 else chunks[0]


class MultiScaleRoIAlign(ops.MultiScaleRoIAlign):
    """torchvision's MultiScaleRoIAlign (each box pooled from the level its size maps to) with this
    module's roi_align: the same levels, scales and result."""

    def forward(self, x: dict[str, Tensor], boxes: list[Tensor], image_shapes: list[tuple[int, int]]) -> Tensor:
        if self.scales is None or self.map_levels is None:  # torchvision infers the levels' scales on its first call
            super().forward(x, [b[:0] for b in boxes], image_shapes)
        maps = [x[name] for name in self.featmap_names]
        rois = _roi_format(boxes)
        if len(maps) == 1:
            return roi_align(maps[0], rois, self.output_size, self.scales[0], self.sampling_ratio)
        levels = self.map_levels(boxes)
        out = maps[0].new_zeros(len(rois), maps[0].shape[1], *self.output_size)
        for level, (fmap, scale) in enumerate(zip(maps, self.scales)):
            mine = torch.where(levels == level)[0]
            if len(mine):
                out[mine] = roi_align(fmap, rois[mine], self.output_size, scale, self.sampling_ratio).to(out.dtype)
        return out


def _torchvision(input: Tensor, rois: Tensor, output_size: Union[int, tuple[int, int]], scale: float, ratio: int, aligned: bool) -> Tensor:
    """torchvision's kernel. It copies a non-contiguous input whole (a frame in the session's
    channels-last layout: 1 ms at 480p), so one such map is first cut to the part its RoIs read."""
    if len(input) > 1 or input.is_contiguous() or not len(rois) or scale <= 0:
        return ops.roi_align(input, rois, output_size, scale, ratio, aligned)
    height, width = int(input.shape[-2]), int(input.shape[-1])
    low, high = (rois[:, 1:3] * scale).amin(0).tolist(), (rois[:, 3:5] * scale).amax(0).tolist()
    # two pixels of margin: a bilinear sample's second pixel, and an unaligned RoI widened to one pixel
    x1, y1 = (min(max(0, math.floor(v) - 2), size - 1) for v, size in zip(low, (width, height)))
    x2, y2 = (max(min(size, math.ceil(v) + 2), start + 1) for v, size, start in zip(high, (width, height), (x1, y1)))
    part = input[:, :, y1:y2, x1:x2].contiguous()
    shifted = rois - rois.new_tensor([0.0, x1 / scale, y1 / scale, x1 / scale, y1 / scale])
    return ops.roi_align(part, shifted, output_size, scale, ratio, aligned)


def _worth_products(input: Tensor, rois: Tensor, bins: int, ratio: int) -> bool:
    """Whether a call takes the products: CPU inference (no autograd, no autocast), a fixed
    sampling ratio, and enough work (PRODUCTS_FROM)."""
    if input.device.type != "cpu" or ratio < 1 or not len(rois) or torch.is_autocast_enabled("cpu"):
        return False
    if torch.is_grad_enabled() and (input.requires_grad or rois.requires_grad):
        return False
    return len(rois) * bins * ratio**2 * (input.shape[1] + 16) >= PRODUCTS_FROM


def _axes(input: Tensor, rois: Tensor, output_size: tuple[int, int], scale: float, ratio: int, aligned: bool) -> Optional[tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]]:
    """Each RoI's first row and its bins' weights over the rows from there (_axis), the same for its
    columns; None when a RoI is far longer than its samples (the products would mostly multiply zeros)."""
    rois = rois.to(input.dtype)
    offset = 0.5 if aligned else 0.0
    starts = rois[:, 1:3] * scale - offset  # [K, (x, y)], the map's pixel centres at integers
    extents = rois[:, 3:5] * scale - offset - starts
    if not aligned:
        extents = extents.clamp(min=1.0)  # torchvision's rule for unaligned RoIs
    longest_x, longest_y = extents.amax(0).tolist()
    if longest_y + 2 > 2 * output_size[0] * ratio or longest_x + 2 > 2 * output_size[1] * ratio:
        return None  # a RoI reads at most its extent plus two pixels; twice its samples: mostly zero weights
    rows = _axis(starts[:, 1], extents[:, 1], output_size[0], ratio, int(input.shape[-2]))
    return rows, _axis(starts[:, 0], extents[:, 0], output_size[1], ratio, int(input.shape[-1]))


def _axis(starts: Tensor, extents: Tensor, out: int, ratio: int, size: int) -> tuple[Tensor, Tensor]:
    """Along one axis of a map `size` pixels long: each RoI's first pixel [K] and the weights
    [K, out, L] of its bins over the L pixels from there on (the run each RoI reads, which may
    reach past the map at zero weight), a bin's weights the mean over its `ratio` samples of their
    bilinear weights, with RoIAlign's sample points and border rules."""
    count, samples = len(starts), out * ratio
    bins = extents / out
    sample = torch.arange(samples, device=starts.device)
    bin_of, within = sample // ratio, (sample % ratio).to(starts.dtype) + 0.5
    points = starts[:, None] + bin_of * bins[:, None] + within * bins[:, None] / ratio  # [K, samples]
    inside = (points >= -1.0) & (points <= size)  # a sample more than a pixel off the map reads zero
    points = points.clamp(min=0)
    low = points.floor().long()
    last = low >= size - 1
    low = torch.where(last, size - 1, low)
    high = torch.where(last, low, low + 1)
    frac = torch.where(last, 0.0, points - low.to(points.dtype))
    scale = inside.to(points.dtype) / ratio
    first = low.amin(1)
    length = int((high.amax(1) - first).max()) + 1
    weights = starts.new_zeros(count, out * length)
    row = (bin_of * length)[None] - first[:, None]
    weights.scatter_add_(1, row + low, (1 - frac) * scale)
    weights.scatter_add_(1, row + high, frac * scale)
    return first, weights.reshape(count, out, length)


def _gather(input: Tensor, index: Tensor, first_row: Tensor, first_col: Tensor, rows: int, cols: int) -> Tensor:
    """[K, C, rows, cols]: the rows x cols pixels of map index[k] of input [N, C, H, W] from
    (first_row[k], first_col[k]) on, zero past the map; copied as slices."""
    out = input.new_zeros(len(index), input.shape[1], rows, cols)
    for k, (n, top, left) in enumerate(zip(index.tolist(), first_row.tolist(), first_col.tolist())):
        part = input[n, :, top : top + rows, left : left + cols]
        out[k, :, : part.shape[1], : part.shape[2]] = part
    return out


def _products(values: Tensor, row_weights: Tensor, col_weights: Tensor) -> Tensor:
    """[K, C, out_h, out_w]: row_weights [K, out_h, rows] @ values [K, C, rows, cols] @ col_weights [K, out_w, cols]^T."""
    count, channels, rows, cols = values.shape
    out_h, out_w = row_weights.shape[1], col_weights.shape[1]
    by_cols = torch.bmm(values.reshape(count, channels * rows, cols), col_weights.transpose(1, 2))  # [K, C rows, out_w]
    by_cols = by_cols.reshape(count, channels, rows, out_w).transpose(1, 2).reshape(count, rows, channels * out_w)
    return torch.bmm(row_weights, by_cols).reshape(count, out_h, channels, out_w).transpose(1, 2).contiguous()


def _roi_format(boxes: list[Tensor]) -> Tensor:
    """[K, 5] RoIs (image index, x1, y1, x2, y2) of one [K_i, 4] box tensor per image."""
    return torch.cat([torch.cat([b.new_full((len(b), 1), float(i)), b], 1) for i, b in enumerate(boxes)])
