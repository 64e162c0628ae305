"""RoIAlign by matrix products (model/roi_align.py) against torchvision's kernel."""

from collections import OrderedDict

import pytest
import torch
from torchvision import ops

from dettrack.model import roi_align as products


@pytest.fixture
def always_products(monkeypatch):
    """Every call through the products, however small (the size rule is a speed choice)."""
    monkeypatch.setattr(products, "PRODUCTS_FROM", 0)


def _case(generator: torch.Generator, trial: int) -> tuple:
    """A random map batch and RoIs: some off the map, some far longer than their samples, some tiny."""
    rand = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    count, channels = 1 + trial % 2, 1 + trial % 5
    height, width = 1 + int(rand(()) * 30), 1 + int(rand(()) * 30)
    maps = torch.randn(count, channels, height, width, generator=generator)
    if trial % 3 == 0:
        maps = maps.contiguous(memory_format=torch.channels_last)
    scale = (1.0, 0.5, 0.125)[trial % 3]
    k = int(rand(()) * 12)
    size = torch.tensor([width, height]) / scale
    corner = rand(k, 2) * size * 1.4 - 0.2 * size
    extent = rand(k, 2) * size * (1.5 if trial % 2 else 0.2)
    rois = torch.cat([torch.randint(0, count, (k, 1), generator=generator).float(), corner, corner + extent], 1)
    output = (1 + int(rand(()) * 14), 1 + int(rand(()) * 14))
    return maps, rois, output, scale, 1 + trial % 3, bool(trial % 2)


@pytest.mark.usefixtures("always_products")
def test_equals_torchvision_to_float_rounding():
    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for trial in range(150):
            maps, rois, output, scale, ratio, aligned = _case(generator, trial)
            ours = products.roi_align(maps, rois, output, scale, ratio, aligned)
            theirs = ops.roi_align(maps, rois, output, scale, ratio, aligned)
            assert ours.shape == theirs.shape
            torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5, msg=f"trial {trial}")


def test_a_channels_last_frame_is_cut_to_its_rois_for_torchvisions_kernel():
    """The fallback's cut-out (one non-contiguous map) gives torchvision's result on the whole map."""
    generator = torch.Generator().manual_seed(2)
    with torch.inference_mode():
        for trial in range(60):
            maps, rois, output, scale, ratio, aligned = _case(generator, 6 * trial)  # one map, channels-last
            rois[:, 0] = 0
            if maps[:1].is_contiguous():  # one channel: channels-last is contiguous too
                continue
            expected = ops.roi_align(maps[:1].contiguous(), rois, output, scale, ratio, aligned)
            torch.testing.assert_close(products._torchvision(maps[:1], rois, output, scale, ratio, aligned), expected, atol=1e-5, rtol=1e-5)


def test_chunks_and_box_lists_give_the_same_result(always_products, monkeypatch):
    maps = torch.randn(2, 8, 20, 24)
    boxes = [torch.tensor([[1.0, 2, 30, 40], [10, 10, 90, 70]]), torch.tensor([[0.0, 0, 95, 79]])]
    with torch.inference_mode():
        whole = products.roi_align(maps, boxes, 7, 0.25, 2)
        monkeypatch.setattr(products, "CHUNK_VALUES", 1)  # one RoI per chunk
        torch.testing.assert_close(products.roi_align(maps, boxes, 7, 0.25, 2), whole)
        torch.testing.assert_close(whole, ops.roi_align(maps, boxes, 7, 0.25, 2), atol=1e-5, rtol=1e-5)


@pytest.mark.usefixtures("always_products")
def test_multiscale_pooling_maps_boxes_to_torchvisions_levels():
    generator = torch.Generator().manual_seed(1)
    maps = OrderedDict((str(s), torch.randn(2, 6, 320 // s, 480 // s, generator=generator)) for s in (8, 16, 32))
    boxes = [torch.tensor([[10.0, 20, 60, 90], [0, 0, 300, 310], [100, 50, 400, 120]]), torch.tensor([[5.0, 5, 30, 25]])]
    ours, theirs = products.MultiScaleRoIAlign(list(maps), 14, 2), ops.MultiScaleRoIAlign(list(maps), 14, 2)
    with torch.inference_mode():
        expected = theirs(maps, boxes, [(320, 480)] * 2)
        assert len(set(theirs.map_levels(boxes).tolist())) > 1  # the boxes span several levels
        torch.testing.assert_close(ours(maps, boxes, [(320, 480)] * 2), expected, atol=1e-5, rtol=1e-5)
        assert ours(maps, [b[:0] for b in boxes], [(320, 480)] * 2).shape == (0, 6, 14, 14)


def test_typical_calls_take_the_products(always_products, monkeypatch):
    """Ten appearance patches of a frame in the session's channels-last layout are not torchvision's."""
    frame = torch.rand(120, 200, 3).permute(2, 0, 1)[None]
    boxes = torch.tensor([[10.0 + 15 * k, 20, 40 + 15 * k, 90] for k in range(10)])
    with torch.inference_mode():
        expected = ops.roi_align(frame, [boxes], 24, 1.0, 2, True)
        monkeypatch.setattr(products.ops, "roi_align", None)  # any call of torchvision's kernel would fail
        torch.testing.assert_close(products.roi_align(frame, [boxes], 24, 1.0, 2, True), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.usefixtures("always_products")
def test_gradients_take_torchvisions_kernel():
    maps = torch.randn(1, 4, 10, 10, requires_grad=True)
    rois = torch.tensor([[0.0, 1, 1, 8, 9]])
    products.roi_align(maps, rois, 3, 1.0, 2, True).sum().backward()
    expected = torch.autograd.grad(ops.roi_align(maps, rois, 3, 1.0, 2, True).sum(), maps)[0]
    torch.testing.assert_close(maps.grad, expected)


def test_the_shipped_trackers_answers_do_not_depend_on_the_kernel(camel, monkeypatch):
    """Three objects (masks and appearance verifier on) tracked with every RoIAlign by products and
    with every one by torchvision's kernel: the same boxes, scores, presence and masks."""
    import dettrack

    model = dettrack.load_model("pretrained")
    model.int8_masks = ""  # the fp32 mask head: int8 rounding would turn the kernels' float rounding into a few pixels
    frames, boxes = camel
    x, y, w, h = (float(v) for v in boxes[0])
    given = {0: (x, y, w, h), 1: (x + w, y, w / 2, h / 2), 2: (max(0.0, x - w / 2), y + h / 2, w / 2, h / 2)}
    answers = {}
    for name, threshold in (("products", 0), ("torchvision", float("inf"))):
        monkeypatch.setattr(products, "PRODUCTS_FROM", threshold)
        answers[name] = [results for _, results in dettrack.open_session(model).track(frames[:6], {0: given})]
    for ours, theirs in zip(answers["products"], answers["torchvision"]):
        for obj_id, result in theirs.items():
            assert ours[obj_id].present == result.present
            assert ours[obj_id].score == pytest.approx(result.score, abs=1e-4)
            assert ours[obj_id].box == pytest.approx(result.box, abs=1e-2)
            if result.mask is not None:
                assert (ours[obj_id].mask != result.mask).sum() <= 2
