"""The shared-pyramid RPN: the factorised convolution and proposals equal the plain path."""

import torch
from torch import nn

from dettrack.model.attention import reweight
from dettrack.model.rpn import conv_of_scaled, factorisable, propose_scaled, shares_first_conv

from conftest import small_model


def test_convolution_of_scaled_maps_factorises_exactly():
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 6, 3, padding=1)
    feature, scales = torch.randn(1, 8, 11, 13), torch.randn(4, 1, 11, 13)
    expected = conv(feature * scales)
    torch.testing.assert_close(conv_of_scaled(feature, scales, conv), expected, rtol=1e-4, atol=1e-5)
    wide = nn.Conv2d(8, 6, 5, padding=2, bias=False)
    torch.testing.assert_close(conv_of_scaled(feature, scales, wide), wide(feature * scales), rtol=1e-4, atol=1e-5)
    assert not factorisable(nn.Conv2d(8, 6, 3, padding=1, stride=2))
    assert not factorisable(nn.Conv2d(8, 8, 3, padding=1, groups=8))


def test_many_templates_on_one_pyramid_get_the_plain_rpn_proposals():
    torch.manual_seed(0)
    model = small_model().eval()
    image = torch.rand(3, 120, 160)
    boxes = torch.tensor([[10.0, 10.0, 50.0, 60.0], [70.0, 30.0, 140.0, 100.0], [20.0, 70.0, 60.0, 110.0]])
    with torch.inference_mode():
        templates = model.make_template([image] * 3, boxes)
        image_list, _ = model.transform([image])
        features = model.backbone(image_list.tensors)
        reweighted, maps = reweight(features, templates)
        expanded = type(image_list)(image_list.tensors.expand(3, -1, -1, -1), image_list.image_sizes * 3)
        plain, _ = model.rpn(expanded, reweighted)
        shared = propose_scaled(model.rpn, expanded, features, maps)
        # and the whole tracking pass: one image shared by three templates vs three copies of it
        together = model.track([image], templates)
        apart = model.track([image] * 3, templates)
    assert shares_first_conv(model.rpn)
    for a, b in zip(plain, shared):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-3)
    for a, b in zip(together, apart):
        torch.testing.assert_close(a["boxes"], b["boxes"], rtol=1e-4, atol=1e-3)
        torch.testing.assert_close(a["scores"], b["scores"], rtol=1e-4, atol=1e-4)
