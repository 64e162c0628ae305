"""The light family's spatial template: a ridge-regression correlation filter on the stride-16 map."""

import pytest
import torch
import torch.nn.functional as F

from dettrack.model.light import build_light_model
from dettrack.model.light.spatial import FILTER_LAMBDA, at_level, correlate, filter_loss, filter_responses, gaussian_label, patch_gram, solve_filter, solve_filters
from dettrack.tracking.inputs import frame_to_tensor

from conftest import shared_path


@pytest.fixture(scope="module")
def pair(camel):
    """Camel frames 0 and 5 as tensors, and their boxes."""
    frames, boxes = camel
    return [frame_to_tensor(frames[i]) for i in (0, 5)], boxes[[0, 5]]


def _crop(light, image, box, side=400):
    x, y, w, h = box
    window = (round(x + w / 2 - side / 2), round(y + h / 2 - side / 2), side)
    with torch.inference_mode():
        encoded = light.encode(image, [window], 320)
    xyxy = torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32)
    return encoded, encoded.to_input(xyxy)[0]


def _ridge(fmap, box):
    """The unfolded 5 x 5 patches [H W, C 25] of fmap [C, H, W] and the float64 primal ridge solution on them."""
    samples = F.unfold(fmap[None].double(), 5, padding=2)[0].T
    label = gaussian_label(box, tuple(fmap.shape[-2:])).flatten().double()
    lam = FILTER_LAMBDA * samples.pow(2).sum(1).mean()
    return samples, torch.linalg.solve(samples.T @ samples + lam * torch.eye(samples.shape[1], dtype=torch.float64), samples.T @ label)


def _assert_solves_the_ridge_regression(fmap, box):
    """solve_filter's filter and peak are the float64 ridge regression's over every patch of fmap."""
    samples, ridge = _ridge(fmap, box)
    packed = solve_filter(fmap, box).double()
    torch.testing.assert_close(packed[:-1], ridge, rtol=1e-3, atol=1e-4 * ridge.abs().max().item())
    assert packed[-1].item() == pytest.approx((samples @ ridge).max().item(), rel=1e-3)


def test_the_filter_answers_one_at_the_object_on_its_own_crop(light, pair):
    images, boxes = pair
    encoded, box = _crop(light, images[0], boxes[0])
    fmap = encoded.features["16"][0]
    packed = solve_filter(fmap, box)
    assert packed.shape == (fmap.shape[0] * 25 + 1,)
    response = filter_responses(encoded.features["16"], packed[None])[0, 0]
    row, col = divmod(int(response.argmax()), response.shape[1])
    centre = ((box[:2] + box[2:]) / 2 / 16 - 0.5).tolist()
    assert abs(col - centre[0]) <= 1 and abs(row - centre[1]) <= 1  # the peak is on the object
    assert response.max().item() == pytest.approx(1.0, abs=1e-4)  # normalised by that peak
    corners = torch.stack([response[0, 0], response[0, -1], response[-1, 0], response[-1, -1]])
    assert corners.abs().max() < 0.5  # the background answers far less


def test_the_dual_solve_is_the_ridge_regression_on_the_patches(light, pair):
    """The fast dual solve equals the primal ridge solution over the unfolded 5 x 5 patches (float64)."""
    images, boxes = pair
    encoded, box = _crop(light, images[0], boxes[0])
    fmap = encoded.features["16"][0]
    samples = F.unfold(fmap[None].double(), 5, padding=2)[0].T  # [H W, C 25]
    torch.testing.assert_close(patch_gram(fmap.double(), 5), samples @ samples.T)
    _assert_solves_the_ridge_regression(fmap, box)


def test_cells_outside_the_frame_leave_the_system_and_the_filter_stays_the_ridge_solution(light, pair):
    """A crop cut out of a shared pass is exactly zero where it reaches past the frame; the dual
    solve leaves those cells out of its system and must still give the ridge regression over
    every patch of the map, the zero ones included (float64 primal solution)."""
    images, boxes = pair
    encoded, box = _crop(light, images[0], boxes[0])
    fmap = encoded.features["16"][0].clone()
    fmap[:, :, :6] = 0  # the crop's left and bottom reach past the frame
    fmap[:, -4:] = 0
    samples = F.unfold(fmap[None].double(), 5, padding=2)[0].T
    assert (samples.abs().sum(1) == 0).sum() > 0.15 * len(samples)  # a real share of the cells leave the system
    _assert_solves_the_ridge_regression(fmap, box)
    empty = solve_filter(torch.zeros_like(fmap), box)
    assert not empty.isnan().any() and (empty[:-1] == 0).all()


def test_correlate_is_the_zero_padded_correlation_of_each_kernel_with_its_map():
    """correlate's matrix products and shifted sums give what a grouped convolution gives, for one
    map per kernel and for one map shared by all."""
    torch.manual_seed(0)
    maps, kernels = torch.randn(3, 6, 9, 11), torch.randn(3, 6, 5, 5)
    each = F.conv2d(maps.reshape(1, 18, 9, 11), kernels, padding=2, groups=3)[0]
    torch.testing.assert_close(correlate(maps, kernels), each)
    shared = F.conv2d(maps[:1], kernels, padding=2)[0]
    torch.testing.assert_close(correlate(maps[:1], kernels), shared)


def test_many_filters_solved_at_once_equal_each_solved_alone(light, pair):
    """solve_filters reads many objects' filters off their systems in one matrix product: each
    object's filter and peak are the ones it gets alone (two real crops, two boxes), also when the
    boxes share one map."""
    images, boxes = pair
    crops = [_crop(light, image, box) for image, box in zip(images, boxes)]
    fmaps = torch.cat([encoded.features["16"] for encoded, _ in crops])
    boxes_in = torch.stack([box for _, box in crops])
    together = solve_filters(fmaps, boxes_in)
    for k in range(2):
        torch.testing.assert_close(together[k], solve_filter(fmaps[k], boxes_in[k]), rtol=1e-4, atol=1e-6)
    on_one_map = solve_filters(fmaps[:1], boxes_in)  # both boxes on the first crop's map: one system, two answers
    for k in range(2):
        torch.testing.assert_close(on_one_map[k], solve_filter(fmaps[0], boxes_in[k]), rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="2 maps for 3 boxes"):
        solve_filters(fmaps, torch.cat([boxes_in, boxes_in[:1]]))


def test_the_primal_solve_is_the_ridge_regression_when_cells_outnumber_weights():
    """A map with more cells than filter weights is solved in the primal form: the same ridge
    solution as float64 over the unfolded patches."""
    generator = torch.Generator().manual_seed(0)
    fmap = torch.randn(3, 16, 16, generator=generator)  # 256 cells, 3 x 25 = 75 weights
    box = torch.tensor([60.0, 80.0, 140.0, 170.0])
    samples, ridge = _ridge(fmap, box)
    packed = solve_filter(fmap, box).double()
    torch.testing.assert_close(packed[:-1], ridge, rtol=1e-4, atol=1e-5 * ridge.abs().max().item())
    assert packed[-1].item() == pytest.approx((samples @ ridge).max().item(), rel=1e-4)


def test_the_filter_finds_the_object_in_a_later_frame(light, pair):
    images, boxes = pair
    encoded, box = _crop(light, images[0], boxes[0])
    packed = solve_filter(encoded.features["16"][0], box)
    later, later_box = _crop(light, images[1], boxes[0])  # the crop of the old box: the camel has moved within it
    response = filter_responses(later.features["16"], packed[None])[0, 0]
    row, col = divmod(int(response.argmax()), response.shape[1])
    x, y, w, h = boxes[1]
    truth = later.to_input(torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32))[0] / 16
    assert truth[0] - 1 <= col + 0.5 <= truth[2] + 1 and truth[1] - 1 <= row + 0.5 <= truth[3] + 1


def test_one_map_for_many_filters_equals_one_map_each(light, pair):
    images, boxes = pair
    encoded, box = _crop(light, images[0], boxes[0])
    fmap = encoded.features["16"]
    filters = torch.stack([solve_filter(fmap[0], box), solve_filter(fmap[0], box + torch.tensor([16.0, 0, 16.0, 0]))])
    shared = filter_responses(fmap, filters)
    each = filter_responses(fmap.expand(2, -1, -1, -1).contiguous(), filters)
    torch.testing.assert_close(shared, each, rtol=1e-4, atol=1e-4)
    assert at_level(shared, (10, 10)).shape == (2, 1, 10, 10) and at_level(shared, (40, 40)).shape == (2, 1, 40, 40)
    torch.testing.assert_close(at_level(shared, (10, 10))[0, 0, 0, 0], shared[0, 0, :2, :2].mean())


def test_templates_carry_the_filter_and_the_score_blends_it(light, pair):
    images, boxes = pair
    encoded, _ = _crop(light, images[0], boxes[0])
    x, y, w, h = boxes[0]
    xyxy = torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32)
    light.class_profile = 0.0  # the filter alone (test_class_profile.py: the profile)
    try:
        with torch.inference_mode():
            template = light.make_template(encoded, xyxy)
            with_filter = light.layout
            search, _ = _crop(light, images[1], boxes[0])
            blended = light.candidates(search, template, top_k=10_000)[0]
            light.spatial_filter = 0.0
            without = {part: with_filter.part(template, part) for part in ("td", "verifier")}
            plain = light.candidates(search, light.layout.pack(without), top_k=10_000)[0]  # T_d alone: the head's probability
            alone = light.make_template(encoded, xyxy)
    finally:
        light.spatial_filter, light.class_profile = 0.5, 0.5
    assert template.shape == (1, 96 + 96 * 25 + 1 + 96 * 16) and alone.shape == (1, 96 + 96 * 16)
    torch.testing.assert_close(template[:, :96], alone[:, :96])  # the same T_d
    assert not torch.equal(blended.scores, plain.scores)
    assert 0.0 <= float(blended.scores.min()) and float(blended.scores.max()) <= 1.0
    # the blend ranks; the head's probability stays what an answer reports (presence)
    assert plain.presence is None and torch.equal(plain.reported, plain.scores)
    probability = {tuple(b.tolist()): float(p) for b, p in zip(plain.boxes, plain.scores)}
    reported = {tuple(b.tolist()): float(p) for b, p in zip(blended.boxes, blended.reported)}
    assert reported.keys() == probability.keys()
    assert max(abs(reported[k] - probability[k]) for k in reported) < 1e-5
    with pytest.raises(ValueError, match="spatial_filter must be in"):
        build_light_model(spatial_filter=1.5)


def test_many_objects_on_the_coarse_level_alone_still_read_the_filters_level(pair):
    """Shared passes cut out the filter's stride-16 maps even when only stride 32 gives candidates."""
    coarse = build_light_model(str(shared_path("weights", "nanodet_m.onnx")), input_size=320, track_strides=[32]).eval()
    images, boxes = pair
    x, y, w, h = boxes[0]
    windows = [(round(x + w / 2 - 150) + dx, round(y + h / 2 - 150), 300) for dx in (-20, 0, 20)]
    xyxy = torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32).expand(3, 4)
    with torch.inference_mode():
        template = coarse.make_template(coarse.encode(images[0], windows, 320), xyxy)
        shared = coarse.encode(images[1], windows, 320)
        found = coarse.candidates(shared, template)
    assert sorted(shared.features) == ["16", "32"]
    assert len(found) == 3 and all(len(c.scores) == 100 and c.presence is not None for c in found)


def test_the_filter_loss_is_low_where_the_object_is_and_trains_the_features(light, pair):
    images, boxes = pair
    template, t_box = _crop(light, images[0], boxes[0])
    search, _ = _crop(light, images[1], boxes[0])
    x, y, w, h = boxes[1]
    truth = search.to_input(torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32))[0]
    t_map = template.features["16"].clone().requires_grad_(True)
    s_map = search.features["16"].clone().requires_grad_(True)
    right = filter_loss(t_map, t_box[None], s_map, [truth])
    elsewhere = filter_loss(t_map, t_box[None], s_map, [truth + torch.tensor([120.0, 0.0, 120.0, 0.0])])
    absent = filter_loss(t_map, t_box[None], s_map, [truth.new_zeros(0)])
    assert right < elsewhere and right < absent  # the camel answers where it is, not elsewhere or nowhere
    right.backward()
    assert t_map.grad.abs().sum() > 0 and s_map.grad.abs().sum() > 0  # through the closed-form solve too
    label = gaussian_label(truth, (20, 20))
    row, col = divmod(int(label.argmax()), 20)
    assert label.max() <= 1.0 and abs(col + 0.5 - (truth[0] + truth[2]).item() / 32) <= 0.5 and abs(row + 0.5 - (truth[1] + truth[3]).item() / 32) <= 0.5


def test_tracking_batches_train_the_filter_only_with_the_spatial_template(light, pair):
    images, boxes = pair
    x, y, w, h = boxes[1]
    targets = [{"boxes": torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32), "labels": torch.ones(1, dtype=torch.int64)}]
    x, y, w, h = boxes[0]
    template_boxes = torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32)
    light.train()
    try:
        with_filter = light(images[1:], targets, images[:1], template_boxes)
        light.spatial_filter = 0.0
        without = light(images[1:], targets, images[:1], template_boxes)
    finally:
        light.spatial_filter = 0.5
        light.eval()
    assert with_filter["loss_track_filter"] > 0 and torch.isfinite(with_filter["loss_track_filter"])
    assert "loss_track_filter" not in without
