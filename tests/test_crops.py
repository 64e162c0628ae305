"""Square crops of a frame: windows and resampling."""

import torch
import torch.nn.functional as F

from dettrack.crops import crop_images, resize, search_window


def test_resize_antialiases_only_when_shrinking():
    image = torch.rand(1, 3, 120, 160)
    smooth = F.interpolate(image, size=(200, 260), mode="bilinear", antialias=True, align_corners=False)
    assert torch.allclose(resize(image, (200, 260)), smooth, atol=1e-4)  # enlarging: the same pixels
    small = resize(image, (30, 40))
    assert torch.allclose(small, F.interpolate(image, size=(30, 40), mode="bilinear", antialias=True, align_corners=False))
    # antialiasing averages the noise away: a plain bilinear shrink keeps far more of it
    assert small.std() < 0.5 * F.interpolate(image, size=(30, 40), mode="bilinear", align_corners=False).std()


def test_crop_is_the_window_with_black_outside_the_frame():
    image = torch.rand(3, 100, 100)
    left, top, side = search_window((-10.0, 20.0, 30.0, 30.0), 2.0, (100, 100))
    crop = crop_images(image, [(left, top, side)], 64)[0]
    inside = round(-left * 64 / side)  # first crop column inside the frame
    assert crop[:, :, : inside - 1].abs().max() == 0
    assert crop[:, :, inside + 1 :].abs().max() > 0
    whole = crop_images(image, [(0, 0, 100)], 100)[0]
    assert torch.allclose(whole, image, atol=1e-6)
