"""Threaded RoIAlign: the same pooled features as torchvision's, from several threads."""

import threading

import pytest
import torch
import torchvision.ops.poolers as poolers
from torchvision.ops import MultiScaleRoIAlign

from dettrack.model.pooling import ThreadedMultiScaleRoIAlign, split_runs


def _pyramid_and_boxes():
    torch.manual_seed(0)
    levels = {str(k): torch.randn(3, 8, 64 // 2**k, 96 // 2**k) for k in range(4)}
    sizes = (90, 0, 45)  # uneven, one image without boxes
    boxes = []
    for n in sizes:
        corner = torch.rand(n, 2) * torch.tensor([300.0, 200.0])
        boxes.append(torch.cat([corner, corner + 4 + torch.rand(n, 2) * 120], 1))
    return levels, boxes, [(256, 384)] * 3


def test_split_runs_keep_order_and_image_indices():
    boxes = [torch.arange(5.0)[:, None].expand(-1, 4), torch.zeros(0, 4), torch.arange(5.0, 8.0)[:, None].expand(-1, 4)]
    runs = split_runs(boxes, 3)
    assert [[len(b) for b in run] for run in runs] == [[3, 0, 0], [2, 0, 0], [0, 0, 3]]
    joined = [torch.cat([run[i] for run in runs]) for i in range(3)]
    for a, b in zip(joined, boxes):
        assert torch.equal(a, b)


def test_threaded_pooling_equals_torchvision_and_uses_threads(monkeypatch):
    levels, boxes, shapes = _pyramid_and_boxes()
    plain = MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
    threaded = ThreadedMultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2).eval()
    callers = []
    roi_align = poolers.roi_align

    def spy(*args, **kwargs):
        callers.append(threading.get_ident())
        return roi_align(*args, **kwargs)

    monkeypatch.setattr(poolers, "roi_align", spy)
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with torch.inference_mode():
            expected = plain(levels, boxes, shapes)
            threaded(levels, boxes, shapes)  # the first call sets the level scales, in this thread
            callers.clear()
            got = threaded(levels, boxes, shapes)
    finally:
        torch.set_num_threads(previous)
    assert torch.equal(got, expected)
    # two runs of RoIs, each pooled on the four levels by a worker thread (which of the
    # pool's two threads takes a run is up to the executor)
    assert len(callers) == 8 and threading.get_ident() not in callers


@pytest.mark.parametrize("mode", ["training", "grad"])
def test_training_and_autograd_take_torchvision_path(mode):
    levels, boxes, shapes = _pyramid_and_boxes()
    threaded = ThreadedMultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2).train(mode == "training")
    levels = {k: v.requires_grad_() for k, v in levels.items()}
    out = threaded(levels, boxes, shapes)
    out.sum().backward()
    assert levels["0"].grad is not None and levels["0"].grad.abs().sum() > 0
