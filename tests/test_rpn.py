"""The shared-pyramid RPN: the factorised convolution and proposals equal the plain path."""

import pytest
import torch
from torch import nn

from dettrack.model.attention import reweight
from dettrack.model.rpn import (
    coarse_levels,
    conv_of_scaled,
    factorisable,
    proposal_limit,
    propose_scaled,
    shares_first_conv,
    without_finest,
)

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


def test_proposal_limit_keeps_the_best_proposals_and_restores_the_rpn():
    torch.manual_seed(0)
    model = small_model().eval()
    image = torch.rand(3, 120, 160)
    with torch.inference_mode():
        image_list, _ = model.transform([image, image.flip(-1)])
        features = model.backbone(image_list.tensors)
        everything, _ = model.rpn(image_list, features)
        with proposal_limit(model.rpn, 7):
            best, _ = model.rpn(image_list, features)
        again, _ = model.rpn(image_list, features)
    for all_boxes, top, after in zip(everything, best, again):
        assert len(all_boxes) > 7 and len(top) == 7
        torch.testing.assert_close(top, all_boxes[:7])  # NMS keeps them by score: a prefix
        torch.testing.assert_close(after, all_boxes)


def test_coarse_levels_propose_what_the_coarser_levels_of_the_full_rpn_propose():
    # torchvision's RPN keeps the top anchors and runs NMS per level, so without a cap the
    # proposals of the coarser levels alone are exactly the full RPN's proposals from them;
    # anchors paired with the wrong maps would give other boxes
    torch.manual_seed(0)
    model = small_model(rpn_pre_nms_top_n_test=20, rpn_post_nms_top_n_test=1000).eval()
    image = torch.rand(3, 120, 160)
    box = torch.tensor([[30.0, 20.0, 110.0, 90.0]])
    with torch.inference_mode():
        templates = model.make_template([image, image], box.repeat(2, 1))
        image_list, _ = model.transform([image])
        features = model.backbone(image_list.tensors)
        reweighted, maps = reweight(features, templates[:1])
        (everything,), _ = model.rpn(image_list, reweighted)
        with coarse_levels(model.rpn, 1):
            (coarse,), _ = model.rpn(image_list, without_finest(reweighted, 1))
            expanded = type(image_list)(image_list.tensors.expand(2, -1, -1, -1), image_list.image_sizes * 2)
            _, both_maps = reweight(features, templates)
            shared = propose_scaled(model.rpn, expanded, without_finest(features, 1), without_finest(both_maps, 1))
        (again,), _ = model.rpn(image_list, reweighted)
        # the same switch through the tracking pass
        skipped = model.track([image], templates[:1], skip_levels=1)[0]
        direct = model.track([image], templates[:1])[0]
    assert 0 < len(coarse) < len(everything)
    distance = torch.cdist(coarse, everything).min(1).values
    assert distance.max() < 0.1, "a coarse-level proposal the full RPN does not make"
    torch.testing.assert_close(shared[0], coarse, rtol=1e-4, atol=1e-3)  # the shared-pyramid path agrees
    torch.testing.assert_close(again, everything)  # the RPN's own anchors are back
    assert len(skipped["boxes"]) and not torch.equal(skipped["boxes"], direct["boxes"])
    with pytest.raises(ValueError, match="can skip 0 to 4"):
        with coarse_levels(model.rpn, 5):
            pass
