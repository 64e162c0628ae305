from collections import OrderedDict

import numpy as np
import pytest
import torch

from dettrack.model.template import (
    calibrate_template,
    TemplateBuilder,
    fpn_level,
    mean_inside,
    relative_lambda,
    ridge_template,
    sample_at,
    sample_negatives,
)


def numpy_ridge(pos: np.ndarray, neg: np.ndarray, lam: float) -> np.ndarray:
    a = np.concatenate([pos[None], neg], 0)
    y = np.zeros(len(a))
    y[0] = 1
    return np.linalg.solve(a.T @ a + lam * np.eye(a.shape[1]), a.T @ y)


@pytest.mark.parametrize("q,d", [(20, 8), (5, 16), (15, 16)])
def test_ridge_matches_numpy_closed_form(q, d):
    g = torch.Generator().manual_seed(q * d)
    pos = torch.randn(3, d, generator=g, dtype=torch.float64)
    neg = torch.randn(3, q, d, generator=g, dtype=torch.float64)
    lam = 0.7
    got = ridge_template(pos, neg, lam)
    for b in range(3):
        want = numpy_ridge(pos[b].numpy(), neg[b].numpy(), lam)
        np.testing.assert_allclose(got[b].numpy(), want, atol=1e-6, rtol=0)


def test_primal_and_dual_agree_with_per_sample_lambda():
    g = torch.Generator().manual_seed(1)
    pos = torch.randn(4, 12, generator=g, dtype=torch.float64)
    neg = torch.randn(4, 30, 12, generator=g, dtype=torch.float64)
    lam = torch.tensor([0.01, 0.1, 1.0, 10.0], dtype=torch.float64)
    primal = ridge_template(pos, neg, lam, form="primal")
    dual = ridge_template(pos, neg, lam, form="dual")
    torch.testing.assert_close(primal, dual, atol=1e-9, rtol=0)
    for b in range(4):
        np.testing.assert_allclose(primal[b].numpy(), numpy_ridge(pos[b].numpy(), neg[b].numpy(), float(lam[b])), atol=1e-6)


def test_ridge_gradients_flow_to_positive_and_negatives():
    g = torch.Generator().manual_seed(2)
    pos = torch.randn(2, 5, generator=g, dtype=torch.float64, requires_grad=True)
    neg = torch.randn(2, 3, 5, generator=g, dtype=torch.float64, requires_grad=True)
    for form in ("primal", "dual"):
        assert torch.autograd.gradcheck(lambda p, n: ridge_template(p, n, 0.3, form=form), (pos, neg))
    ridge_template(pos, neg, 0.3).sum().backward()
    assert pos.grad.abs().sum() > 0 and neg.grad.abs().sum() > 0


def test_vanishing_lambda_interpolates_the_targets():
    g = torch.Generator().manual_seed(3)
    pos = torch.randn(2, 32, generator=g, dtype=torch.float64)
    neg = torch.randn(2, 20, 32, generator=g, dtype=torch.float64)  # Q + 1 <= D
    t = ridge_template(pos, neg, 1e-10)
    torch.testing.assert_close((t * pos).sum(-1), torch.ones(2, dtype=torch.float64), atol=1e-6, rtol=0)
    torch.testing.assert_close(torch.einsum("bqd,bd->bq", neg, t), torch.zeros(2, 20, dtype=torch.float64), atol=1e-6, rtol=0)


def test_zero_padding_rows_do_not_change_the_solution():
    g = torch.Generator().manual_seed(4)
    pos = torch.randn(1, 16, generator=g, dtype=torch.float64)
    neg = torch.randn(1, 10, 16, generator=g, dtype=torch.float64)
    padded = torch.cat([neg, torch.zeros(1, 25, 16, dtype=torch.float64)], 1)
    for form in ("primal", "dual"):
        torch.testing.assert_close(ridge_template(pos, padded, 0.5, form=form), ridge_template(pos, neg, 0.5), atol=1e-10, rtol=0)
    torch.testing.assert_close(relative_lambda(pos, padded, 1.0), relative_lambda(pos, neg, 1.0))


def test_ridge_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="feature sizes differ"):
        ridge_template(torch.randn(1, 4), torch.randn(1, 3, 5), 0.1)
    with pytest.raises(ValueError, match="form"):
        ridge_template(torch.randn(1, 4), torch.randn(1, 3, 4), 0.1, form="inverse")


def test_fpn_level_follows_the_mask_rcnn_mapping():
    sides = torch.tensor([16.0, 112.0, 224.0, 448.0, 1000.0])
    boxes = torch.stack([torch.zeros(5), torch.zeros(5), sides, sides], 1)
    assert fpn_level(boxes).tolist() == [2, 3, 4, 5, 5]
    assert fpn_level(torch.tensor([[10.0, 10.0, 10.0 + 223.0, 10.0 + 223.0]])).tolist() == [3]


def _pyramid(b: int, d: int, size: int, seed: int = 0) -> "OrderedDict[str, torch.Tensor]":
    g = torch.Generator().manual_seed(seed)
    return OrderedDict(
        (name, torch.randn(b, d, size // s, size // s, generator=g))
        for name, s in zip(["0", "1", "2", "3", "pool"], [4, 8, 16, 32, 64])
    )


def test_bilinear_sample_hits_cell_centres_and_interpolates():
    fmap = torch.arange(4 * 6, dtype=torch.float32).reshape(1, 1, 4, 6)
    stride = (8.0, 8.0)
    # cell (row 2, col 3) is centred at x = 3.5 * 8, y = 2.5 * 8
    centre = torch.tensor([[[3.5 * 8, 2.5 * 8]]])
    assert sample_at(fmap, centre, stride).item() == 15.0
    midway = torch.tensor([[[4.0 * 8, 2.5 * 8]]])  # half way between cols 3 and 4
    assert sample_at(fmap, midway, stride).item() == pytest.approx(15.5)


def test_negatives_lie_outside_the_box_and_are_deterministic():
    # a pyramid whose every vector encodes its own location, to check where samples come from
    size = 128
    features = OrderedDict()
    for name, s in zip(["0", "1", "2", "3", "pool"], [4, 8, 16, 32, 64]):
        n = size // s
        ys, xs = torch.meshgrid((torch.arange(n) + 0.5) * s, (torch.arange(n) + 0.5) * s, indexing="ij")
        features[name] = torch.stack([xs, ys, torch.full_like(xs, float(s))])[None]
    box = torch.tensor([[30.0, 20.0, 90.0, 100.0]])
    negs = sample_negatives(features, box, [(size, size)], (size, size), 200, seed=0)
    real = negs[0][negs[0].abs().sum(-1) > 0]
    assert len(real) == 200
    inside = (real[:, 0] >= 30) & (real[:, 0] <= 90) & (real[:, 1] >= 20) & (real[:, 1] <= 100)
    assert not inside.any()
    assert set(real[:, 2].tolist()) == {4.0, 8.0, 16.0, 32.0, 64.0}  # every level contributes
    again = sample_negatives(features, box, [(size, size)], (size, size), 200, seed=0)
    torch.testing.assert_close(negs, again)
    # small images give every eligible cell and zero padding for the rest
    many = sample_negatives(features, box, [(size, size)], (size, size), 5000, seed=0)
    eligible = sum(
        int((~(((f[0, 0] >= 30) & (f[0, 0] <= 90) & (f[0, 1] >= 20) & (f[0, 1] <= 100)))).sum()) for f in features.values()
    )
    assert int((many[0].abs().sum(-1) > 0).sum()) == eligible
    # cells of the padded area (outside the real image) are never used
    cropped = sample_negatives(features, box, [(64, 128)], (size, size), 5000, seed=0)
    used = cropped[0][cropped[0].abs().sum(-1) > 0]
    assert (used[:, 1] < 64).all()


def test_mean_inside_averages_cells_in_the_box():
    fmap = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
    box = torch.tensor([[0.0, 0.0, 16.0, 16.0]])  # covers cells (0,0),(0,1),(1,0),(1,1) at stride 8
    assert mean_inside(fmap, box, (8.0, 8.0)).item() == pytest.approx((0 + 1 + 4 + 5) / 4)


def _pyramid_with_objects(boxes: torch.Tensor, d: int = 32, size: int = 256) -> "OrderedDict[str, torch.Tensor]":
    """Random background; inside each box the features share one direction of their own (plus noise)."""
    features = _pyramid(len(boxes), d, size)
    g = torch.Generator().manual_seed(7)
    for i, box in enumerate(boxes):
        direction = torch.randn(d, generator=g) * 2
        for fmap in features.values():
            s = size / fmap.shape[-1]
            # the cells whose centre (j + 0.5) * s lies inside the box
            x1, y1 = int(torch.ceil(box[0] / s - 0.5)), int(torch.ceil(box[1] / s - 0.5))
            x2, y2 = int(torch.floor(box[2] / s - 0.5)) + 1, int(torch.floor(box[3] / s - 0.5)) + 1
            fmap[i, :, y1:y2, x1:x2] = direction[:, None, None] + 0.3 * fmap[i, :, y1:y2, x1:x2]
    return features


@pytest.mark.parametrize("variant", ["center", "mean_pos", "mean_diff", "linreg"])
def test_template_variants_respond_to_the_object(variant):
    boxes = torch.tensor([[40.0, 50.0, 150.0, 170.0], [10.0, 10.0, 40.0, 60.0]])
    features = _pyramid_with_objects(boxes)
    builder = TemplateBuilder(variant, num_negatives=512, ridge_lambda=0.01)
    t = builder(features, boxes, [(256, 256)] * 2, (256, 256))
    assert t.shape == (2, 32) and torch.isfinite(t).all()
    level = fpn_level(boxes) - 2
    maps = list(features.values())
    for i in range(2):
        centre = ((boxes[i, :2] + boxes[i, 2:]) / 2).reshape(1, 1, 2)
        stride = 256 / maps[level[i]].shape[-1]
        positive = sample_at(maps[level[i]][i : i + 1], centre, (stride, stride))[0, 0]
        response = float(positive @ t[i])
        if variant == "center":
            assert response == pytest.approx(1.0, abs=1e-5)
        # discriminative: the object answers far more strongly than the background does
        fmap = maps[level[i]][i]
        s = 256 / fmap.shape[-1]
        ys, xs = torch.meshgrid((torch.arange(fmap.shape[-2]) + 0.5) * s, (torch.arange(fmap.shape[-1]) + 0.5) * s, indexing="ij")
        outside = (xs < boxes[i, 0] - s) | (xs > boxes[i, 2] + s) | (ys < boxes[i, 1] - s) | (ys > boxes[i, 3] + s)
        background = torch.einsum("dhw,d->hw", fmap, t[i])[outside]
        assert response > 3 * background.abs().mean()


def test_linreg_template_suppresses_the_background():
    box = torch.tensor([[100.0, 100.0, 160.0, 160.0]])
    features = _pyramid_with_objects(box, d=64)
    t = TemplateBuilder("linreg", num_negatives=1024, ridge_lambda=0.01)(features, box, [(256, 256)], (256, 256))
    background = features["0"][0].flatten(1).T @ t[0]
    assert background.abs().mean() < 0.2


def test_template_is_solved_in_single_precision_under_autocast():
    # on CUDA the tracker runs under fp16 autocast, where the Gram matrix of ~1000 features
    # overflows; the builder must solve in fp32 whatever the surrounding autocast says
    box = torch.tensor([[100.0, 100.0, 160.0, 160.0]])
    features = _pyramid_with_objects(box, d=64)
    builder = TemplateBuilder("linreg", num_negatives=1024, ridge_lambda=0.01)
    plain = builder(features, box, [(256, 256)], (256, 256))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        half_features = OrderedDict((k, v.bfloat16()) for k, v in features.items())
        under_autocast = builder(half_features, box, [(256, 256)], (256, 256))
    assert under_autocast.dtype == torch.float32
    torch.testing.assert_close(under_autocast, builder(OrderedDict((k, v.float()) for k, v in half_features.items()), box, [(256, 256)], (256, 256)))
    assert torch.nn.functional.cosine_similarity(under_autocast, plain).item() > 0.99


def test_unknown_variant_is_rejected():
    with pytest.raises(ValueError, match="unknown template variant"):
        TemplateBuilder("cosine")


def test_ridge_response_follows_sherman_morrison_and_calibration_makes_it_one():
    g = torch.Generator().manual_seed(11)
    pos = torch.randn(2, 8, generator=g, dtype=torch.float64)
    neg = torch.randn(2, 50, 8, generator=g, dtype=torch.float64)  # overdetermined: Q + 1 > D
    lam = 0.5
    t = ridge_template(pos, neg, lam)
    for b in range(2):
        m = neg[b].T @ neg[b] + lam * torch.eye(8, dtype=torch.float64)
        h = pos[b] @ torch.linalg.solve(m, pos[b])
        assert float(pos[b] @ t[b]) == pytest.approx(float(h / (1 + h)), abs=1e-9)
    calibrated = calibrate_template(t, pos)
    torch.testing.assert_close((calibrated * pos).sum(-1), torch.ones(2, dtype=torch.float64))
    # same direction: the relative responses of the negatives do not change
    torch.testing.assert_close(calibrated / calibrated.norm(dim=-1, keepdim=True), t / t.norm(dim=-1, keepdim=True))


def test_builder_calibrates_linreg_unless_asked_not_to():
    boxes = torch.tensor([[40.0, 50.0, 150.0, 170.0]])
    features = _pyramid_with_objects(boxes)
    level = int(fpn_level(boxes)[0]) - 2
    fmap = list(features.values())[level]
    stride = 256 / fmap.shape[-1]
    positive = sample_at(fmap, ((boxes[:, :2] + boxes[:, 2:]) / 2).reshape(1, 1, 2), (stride, stride))[0, 0]
    raw = TemplateBuilder("linreg", 512, 0.1, calibrate=False)(features, boxes, [(256, 256)], (256, 256))[0]
    calibrated = TemplateBuilder("linreg", 512, 0.1)(features, boxes, [(256, 256)], (256, 256))[0]
    assert float(positive @ calibrated) == pytest.approx(1.0, abs=1e-4)
    assert 0 < float(positive @ raw) < 1


def test_ridge_with_several_positives_matches_numpy_in_both_forms():
    g = torch.Generator().manual_seed(12)
    pos = torch.randn(2, 4, 10, generator=g, dtype=torch.float64)
    neg = torch.randn(2, 25, 10, generator=g, dtype=torch.float64)
    for form in ("primal", "dual"):
        got = ridge_template(pos, neg, 0.3, form=form)
        for b in range(2):
            a = np.concatenate([pos[b].numpy(), neg[b].numpy()])
            y = np.r_[np.ones(4), np.zeros(25)]
            want = np.linalg.solve(a.T @ a + 0.3 * np.eye(10), a.T @ y)
            np.testing.assert_allclose(got[b].numpy(), want, atol=1e-6, rtol=0)
    calibrated = calibrate_template(ridge_template(pos, neg, 0.3), pos)
    torch.testing.assert_close(torch.einsum("bpd,bd->bp", pos, calibrated).mean(1), torch.ones(2, dtype=torch.float64))


def test_all_levels_template_answers_on_every_level_where_the_box_level_one_does_not():
    # Levels whose object features point in unrelated directions: the paper's one-level
    # template only lights its own level; 'all' lights the object on every level.
    g = torch.Generator().manual_seed(13)
    box = torch.tensor([[96.0, 96.0, 160.0, 160.0]])
    features = OrderedDict()
    for k, size in enumerate((64, 32, 16, 8, 4)):
        fmap = 0.1 * torch.randn(1, 32, size, size, generator=g)
        s = 256 // size
        x1, x2 = int(96 / s), int(np.ceil(160 / s))
        fmap[0, :, x1:x2, x1:x2] += torch.randn(32, generator=g)[:, None, None]
        features[str(k) if k < 4 else "pool"] = fmap
    centre = torch.tensor([[[128.0, 128.0]]])

    def object_response(levels):
        t = TemplateBuilder("linreg", 512, 0.01, levels=levels)(features, box, [(256, 256)], (256, 256))[0]
        return [float(sample_at(f, centre, (256 / f.shape[-1],) * 2)[0, 0] @ t) for f in list(features.values())[:4]]

    own = int(fpn_level(box)[0]) - 2
    paper = object_response("box")
    assert paper[own] > 0.9 and min(abs(r) for k, r in enumerate(paper) if k != own) < 0.3
    assert min(object_response("all")) > 0.7
    with pytest.raises(ValueError, match="levels"):
        TemplateBuilder(levels="some")
