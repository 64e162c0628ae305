"""Binary masks pasted into the frame box by box."""

import torch
from torchvision.models.detection.roi_heads import paste_masks_in_image

from dettrack.masks import paste_binary_masks


def test_same_pixels_as_torchvision_paste_then_threshold():
    generator = torch.Generator().manual_seed(0)
    probs = torch.rand(5, 28, 28, generator=generator)
    # inside, across the left/top edge, across the right/bottom edge, tiny, fully outside
    boxes = torch.tensor([[10.0, 20, 60, 90], [-15, -8, 30, 25], [70, 40, 130, 95], [50.2, 50.7, 51.1, 51.4], [200, 200, 240, 260]])
    ours = paste_binary_masks(probs, boxes, (100, 120), 0.5)
    reference = paste_masks_in_image(probs[:, None], boxes, (100, 120))[:, 0] > 0.5
    assert ours.dtype == torch.bool and ours.shape == (5, 100, 120)
    assert torch.equal(ours, reference)
    assert ours[0].any() and not ours[4].any()
    assert paste_binary_masks(probs[:0], boxes[:0], (100, 120), 0.5).shape == (0, 100, 120)
