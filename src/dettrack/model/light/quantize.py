"""The mask head in int8, calibrated on the RoI features the model itself pools from real images.

The mask head's four 3 x 3 convolutions on 14 x 14 RoIs are a tracked object's largest network
cost after the appearance trunk; with int8 weights and activations onnxruntime runs them about
twice as fast on CPUs with int8 dot products (ten RoIs: 8.5 against 4.7 ms on 2 cores). The masks
are thresholded at 0.5: the rounding flips about 1% of the 28 x 28 pixels of held-out RoIs (the
shipped file on DAVIS's validation sequences: 1.1%, logits off by 0.08 on average), and DAVIS
J-Mean moves by 0.1 (docs/speed.md). Static quantization needs the activations' ranges, so it is
calibrated once, at export, on the RoIs the model pools for the detector's boxes on the
calibration images: at the detection scale (the whole frame, as `dettrack detect` pools them)
and at the tracking scale (each box's search crop, as the session pools them).
"""

from typing import Iterable

import torch
from torch import Tensor

from . import runtime

CALIBRATION_SCORE = 0.3  # the detections whose boxes are pooled (dettrack detect's default score)
CALIBRATION_BOXES = 10  # at most this many a calibration image, the most confident


def mask_features(model, image: Tensor) -> Tensor:
    """The mask head's inputs [K, C, 14, 14] for the detector's boxes on a [3, H, W] image in [0, 1],
    pooled at the detection scale and at the tracking scale (empty without detections)."""
    boxes = model.detect(image, CALIBRATION_SCORE, masks=False)["boxes"][:CALIBRATION_BOXES]
    if not len(boxes):
        return image.new_zeros(0)
    whole = model.mask_rois(model.encode(image), boxes)
    return torch.cat([whole, model.mask_rois(model.encode_around(image, boxes), boxes, range(len(boxes)))])


@torch.inference_mode()
def quantize_masks(model, images: Iterable[Tensor]) -> dict[str, bytes]:
    """Calibrate the int8 mask head of `model` (a LightDetTrack, its weights final) on `images`
    ([3, H, W] in [0, 1]) and switch it on: returns its graph by its cache name (what the checkpoint
    stores), also put in the cache. Its name holds the digest of the weights and of the
    calibration, which the model's config keeps (int8_masks)."""
    was_training = model.training
    model.eval()
    try:
        features = [f for f in (mask_features(model, image) for image in images) if len(f)]
    finally:
        model.train(was_training)
    if not features:
        raise ValueError("no calibration RoIs: the detector finds no object in the calibration images")
    calibration = torch.cat(features)
    digest = runtime.calibration_digest(calibration)
    graphs = {runtime.int8_graph_name(model.mask_net, digest): runtime.quantized_graph(model.mask_net, calibration)}
    runtime.seed_cache(graphs)
    model.set_int8_masks(digest)
    return graphs
