"""The appearance verifier: whether a box shows the object, judged by an ImageNet network's view of its pixels.

The identity verifier (light/verifier.py) reads the tracker's own pyramid, which was trained on
COCO's 80 classes and a few dozen videos; on a look-alike, or a thing no COCO class names, its
answer is least sure. This verifier asks the same question with the same closed-form ridge
regression (the object against the rest of its template frame) on another view of the pixels: a
frozen ImageNet-1k MobileNetV2, trained on 1000 classes and untouched by the tracker's training.
Each box's pixels are resampled to PATCH x PATCH; its descriptor is the last block's 1280 channels
averaged over the patch beside the stride-16 block's 96 channels pooled into 2 x 2 bins, each part
L2-normalised. Positives are the box and eight shifts and rescalings of it; negatives are boxes of
its size (and 0.7x, 1.4x) on a grid over the whole template frame. The answer is scaled so that the
positives give 1 on average: about 1 for the object, about 0 for the rest of the frame. No weights
are learned. On onnxruntime (one thread) a box costs about 1.5 ms; with its cut-out and pooling, an
object about 3.5 ms a frame.
"""

from typing import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torchvision.models import MobileNet_V2_Weights, mobilenet_v2
from torchvision.ops import box_iou

from ..boxes import centred_boxes, size_groups
from .roi_align import roi_align
from .template import solve_verifier

PATCH = 96  # side of the patch each box is resampled to
MID_BLOCKS = 14  # the trunk's blocks up to the stride-16, 96-channel map (the second part of the descriptor)
LAMBDA = 0.05  # ridge strength relative to the samples' mean squared norm (2: two unit parts)
GRID = 5  # negatives: the box centred on GRID x GRID points of the frame, at three scales
NEGATIVE_IOU = 0.3  # a negative overlaps the object by less than this
SHARED_GRID = 1.25  # objects added together whose sizes differ by at most this factor share the grid's boxes
FEW_PATCHES = 4  # up to this many patches at once run on one onnxruntime thread
# ImageNet's normalisation, for RGB in [0, 1]
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class AppearanceVerifier(nn.Module):
    """A frozen ImageNet MobileNetV2 trunk (torchvision's layout) and the ridge verifier on its descriptors.

    Load its weights with load_imagenet (a file in torchvision's layout, or torchvision's own
    weights by name, downloaded when asked for); a checkpoint that holds one restores it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trunk = mobilenet_v2(weights=None).features
        self.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1), persistent=False)
        # the two maps as one module for onnxruntime, kept out of the module tree (no second copy in state_dict)
        object.__setattr__(self, "maps", _TwoMaps(self.trunk))
        self.runtime = "onnxruntime"  # on CPU when onnxruntime is installed ("torch": never)

    def load_imagenet(self, source: str) -> None:
        """Weights from `source`: a state dict file in torchvision's mobilenet_v2 layout (features.*
        keys; a classifier is ignored), or a torchvision weights name such as IMAGENET1K_V1
        (downloaded by torchvision, the one download a user asks for)."""
        if source in MobileNet_V2_Weights.__members__:
            state = MobileNet_V2_Weights[source].get_state_dict(progress=True)
        else:
            try:
                state = torch.load(source, map_location="cpu", weights_only=True)
            except FileNotFoundError:
                raise FileNotFoundError(f"{source}: MobileNetV2 weights not found (a file, or one of {', '.join(MobileNet_V2_Weights.__members__)})") from None
            except Exception as err:
                raise ValueError(f"{source}: not a readable MobileNetV2 state dict: {err}") from None
        trunk = {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
        missing = sorted(set(self.trunk.state_dict()) - set(trunk))
        if not trunk or missing:
            raise ValueError(f"{source}: not MobileNetV2 weights in torchvision's layout (missing {', '.join(missing[:3]) or 'features.*'})")
        self.trunk.load_state_dict(trunk)

    def describe(self, image: Tensor, boxes: Tensor) -> Tensor:
        """Descriptors [K, 1664] of xyxy boxes [K, 4] (frame pixels) of an RGB image [3, H, W] in [0, 1]."""
        patches = roi_align(image[None].float(), [boxes.float()], PATCH, 1.0, 2, True)
        mid, top = self._maps(patches)((patches - self.mean) / self.std)
        parts = (top.mean((2, 3)), F.adaptive_avg_pool2d(mid, 2).flatten(1))
        return torch.cat([F.normalize(p, dim=1) for p in parts], 1)

    def solve(self, image: Tensor, boxes: Tensor) -> Tensor:
        """The ridge weights [N, 1664] of the objects in xyxy boxes [N, 4] (one [4] box: [1664]), all
        on their template frame `image`. Objects added together are each other's negatives, and
        objects of about one size (within SHARED_GRID of each other) share the grid's boxes: ten
        people of about one size cost the patches of about two objects alone. One object gets
        exactly sample_boxes' samples."""
        one = boxes.dim() == 1
        boxes = boxes.float().reshape(-1, 4)
        frame_size = image.shape[-2:]
        positives = [positive_boxes(box) for box in boxes]
        grid = torch.cat([grid_boxes(boxes[group[len(group) // 2]], frame_size) for group in size_groups(_sides(boxes), SHARED_GRID)])
        candidates = torch.cat([grid, boxes]) if len(boxes) > 1 else grid  # the others' boxes too
        negative = box_iou(candidates, boxes) < NEGATIVE_IOU  # [C, N]: a negative of which objects (never of its own)
        used = negative.any(1)
        found = self.describe(image, torch.cat([*positives, candidates[used]]))
        count = len(positives[0])
        negatives = found[len(boxes) * count :]
        kept = negative[used]
        weights = torch.stack([solve_verifier(found[i * count : (i + 1) * count], negatives[kept[:, i]], LAMBDA) for i in range(len(boxes))])
        return weights[0] if one else weights

    def identity(self, image: Tensor, boxes: Tensor, weights: Tensor) -> Tensor:
        """[W, K]: how much each of the xyxy boxes [K, 4] of `image` looks like each object whose
        ridge weights are the rows of weights [W, 1664], clamped to [0, 1]."""
        if not len(boxes) or not len(weights):
            return boxes.new_zeros(len(weights), len(boxes))
        return (weights.float() @ self.describe(image, boxes).T).clamp(0, 1)

    def _maps(self, patches: Tensor) -> Callable[[Tensor], tuple[Tensor, Tensor]]:
        """The trunk's two maps: by onnxruntime for CPU inference without gradients, else by PyTorch."""
        if self.runtime == "onnxruntime" and patches.device.type == "cpu" and not torch.is_grad_enabled():
            from .light import runtime

            if runtime.available():
                example = torch.zeros(1, 3, PATCH, PATCH)
                # a frame's patch or two on one thread (waking a second costs more than it saves), a
                # template frame's samples on PyTorch's threads: two sessions, cached under two keys
                few = len(patches) <= FEW_PATCHES
                threads = 1 if few else None
                build = lambda: runtime.OnnxModule(self.maps, (example,), ["patches"], ["mid", "top"], threads)  # noqa: E731
                runner = runtime.cached(self.trunk if few else self.maps, build)
                return lambda patches: tuple(runner(patches))  # type: ignore[return-value]
        return self.maps

    def graphs(self) -> dict[str, bytes]:
        """The onnxruntime graph of these weights by its cache name (what a checkpoint ships)."""
        from .light import runtime

        example = torch.zeros(1, 3, PATCH, PATCH)
        return {runtime.graph_name(self.maps, ["patches"], ["mid", "top"]): runtime.export_graph(self.maps, (example,), ["patches"], ["mid", "top"])}


class _TwoMaps(nn.Module):
    """The trunk's stride-16 map (after MID_BLOCKS blocks) and its last map."""

    def __init__(self, trunk: nn.Sequential) -> None:
        super().__init__()
        self.trunk = trunk

    def forward(self, patches: Tensor) -> tuple[Tensor, Tensor]:
        mid = self.trunk[:MID_BLOCKS](patches)
        return mid, self.trunk[MID_BLOCKS:](mid)


def sample_boxes(box: Tensor, frame_size: "torch.Size | tuple[int, int]") -> tuple[Tensor, Tensor]:
    """Positive boxes [9, 4] and negative ones (the grid's boxes overlapping it by less than
    NEGATIVE_IOU) for the verifier of the object alone in xyxy `box` on a frame of (H, W)."""
    negatives = grid_boxes(box, frame_size)
    return positive_boxes(box), negatives[box_iou(negatives, box[None])[:, 0] < NEGATIVE_IOU]


def positive_boxes(box: Tensor) -> Tensor:
    """[9, 4]: the xyxy box, shifted by a tenth of its size and rescaled by 0.9 and 1.1."""
    x1, y1, x2, y2 = box.tolist()
    w, h, cx, cy = x2 - x1, y2 - y1, (x1 + x2) / 2, (y1 + y2) / 2
    steps = [(-0.1, 0.0, 1.0), (0.1, 0.0, 1.0), (0.0, -0.1, 1.0), (0.0, 0.1, 1.0), (-0.1, -0.1, 0.9), (0.1, 0.1, 0.9), (-0.1, 0.1, 1.1), (0.1, -0.1, 1.1)]
    shifts = box.new_tensor(steps)
    return torch.cat([box[None], centred_boxes(cx + shifts[:, 0] * w, cy + shifts[:, 1] * h, shifts[:, 2] * w, shifts[:, 2] * h)])


def grid_boxes(box: Tensor, frame_size: "torch.Size | tuple[int, int]") -> Tensor:
    """[GRID * GRID * 3, 4]: boxes of the xyxy box's size, 0.7x and 1.4x centred on a GRID x GRID grid of a (H, W) frame."""
    height, width = int(frame_size[0]), int(frame_size[1])
    w, h = float(box[2] - box[0]), float(box[3] - box[1])
    xs = torch.linspace(0, width, GRID + 2)[1:-1].tolist()
    ys = torch.linspace(0, height, GRID + 2)[1:-1].tolist()
    grid = box.new_tensor([(px, py, s) for py in ys for px in xs for s in (0.7, 1.0, 1.4)])
    return centred_boxes(grid[:, 0], grid[:, 1], grid[:, 2] * w, grid[:, 2] * h)


def _sides(boxes: Tensor) -> list[float]:
    """The square roots of xyxy boxes' [N, 4] areas."""
    return ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).clamp(min=0).sqrt().tolist()
