import numpy as np

from dettrack.train.samples import PairSample, crop_search, flip_pair, jitter_box, pair_inputs, photometric


def _sample(absent: bool = False) -> PairSample:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (100, 160, 3), dtype=np.uint8)
    mask = np.zeros((100, 160), bool)
    mask[30:60, 100:150] = True
    box = np.array([100.0, 30.0, 150.0, 60.0])
    return PairSample(image, np.array([10.0, 10.0, 40.0, 50.0]), image, None if absent else box, None if absent else mask)


def test_flip_mirrors_boxes_and_masks_of_both_frames():
    s = _sample()
    f = flip_pair(s)
    assert f.template_box.tolist() == [120.0, 10.0, 150.0, 50.0]
    assert f.search_box.tolist() == [10.0, 30.0, 60.0, 60.0]
    assert f.search_mask[30:60, 10:60].all() and f.search_mask.sum() == s.search_mask.sum()
    assert (f.search_image[:, 0] == s.search_image[:, -1]).all()


def test_search_crop_keeps_box_mask_and_pixels_consistent():
    for seed in range(20):
        s = _sample()
        c = crop_search(s, np.random.default_rng(seed))
        h, w = c.search_image.shape[:2]
        assert h == w and c.search_mask.shape == (h, w)
        assert c.search_box is not None
        ys, xs = np.nonzero(c.search_mask)
        assert c.search_box.tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        # the object's pixels moved with the crop
        y, x = ys[0], xs[0]
        assert c.search_mask.sum() <= s.search_mask.sum()
        assert c.search_image[y, x].tolist() in s.search_image[s.search_mask].tolist()


def test_search_crop_of_an_absent_object_gives_an_empty_target():
    c = crop_search(_sample(absent=True), np.random.default_rng(1))
    assert c.search_box is None and c.search_mask is None
    _, _, _, targets = pair_inputs([c])
    assert targets[0]["boxes"].shape == (0, 4)


def test_jitter_stays_near_the_box_and_inside_the_image():
    box = np.array([10.0, 20.0, 60.0, 90.0])
    for seed in range(50):
        j = jitter_box(box, 0.1, np.random.default_rng(seed), (100, 160))
        assert (j >= 0).all() and j[2] <= 160 and j[3] <= 100
        assert abs((j[0] + j[2]) / 2 - 35) <= 0.1 * 50 + 1e-9
        assert 50 * np.exp(-0.1) - 1e-9 <= j[2] - j[0] <= 50 * np.exp(0.1) + 1e-9


def test_photometric_jitter_changes_colours_not_geometry_and_replays_under_a_seed():
    image = _sample().search_image
    image.setflags(write=False)  # frames read from files may be read-only
    a = photometric(image, np.random.default_rng(5))
    assert a.dtype == np.uint8 and a.shape == image.shape
    assert np.array_equal(a, photometric(image, np.random.default_rng(5)))
    assert np.abs(a.astype(int) - image).mean() > 2
    changed = [not np.array_equal(photometric(image, np.random.default_rng(seed)), a) for seed in range(6, 12)]
    assert all(changed)
    # grayscale draws give three equal channels
    grays = [g for g in (photometric(image, np.random.default_rng(seed)) for seed in range(60)) if (g[..., 0] == g[..., 1]).all() and (g[..., 1] == g[..., 2]).all()]
    assert 1 <= len(grays) <= 15


def test_part_pairs_take_the_same_part_of_the_object_in_both_frames():
    from dettrack.train.samples import part_of

    frame = np.zeros((100, 200, 3), np.uint8)
    sample = PairSample(frame, np.array([10.0, 20.0, 50.0, 100.0]), frame, np.array([100.0, 10.0, 180.0, 50.0]), np.ones((100, 200), bool))
    part = part_of(sample, np.random.default_rng(3))
    t, s = part.template_box, part.search_box
    assert 10 <= t[0] < t[2] <= 50 and 20 <= t[1] < t[3] <= 100  # inside the object's box
    assert (t[2] - t[0]) / 40 < 0.71 and (t[3] - t[1]) / 80 < 0.71  # a part, not the whole
    relative = lambda box, whole: (box - whole[[0, 1, 0, 1]]) / np.tile(whole[2:] - whole[:2], 2)  # noqa: E731
    np.testing.assert_allclose(relative(t, sample.template_box), relative(s, sample.search_box))
    assert part.search_mask is None
    absent = part_of(PairSample(frame, sample.template_box, frame, None, None), np.random.default_rng(3))
    assert absent.search_box is None


def test_low_res_pairs_shrink_both_frames_until_the_object_is_small():
    from dettrack.train.samples import shrink_pair

    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    mask = np.zeros((240, 320), bool)
    mask[60:180, 100:220] = True
    sample = PairSample(frame, np.array([90.0, 50.0, 210.0, 170.0]), frame, np.array([100.0, 60.0, 220.0, 180.0]), mask)
    small = shrink_pair(sample, np.random.default_rng(1))
    t, s = small.template_box, small.search_box
    assert 12 <= np.sqrt((t[2] - t[0]) * (t[3] - t[1])) <= 48  # the object is 12-48 px across
    factor = small.template_image.shape[1] / 320
    assert small.search_image.shape[:2] == small.template_image.shape[:2] == (round(240 * factor), round(320 * factor))
    np.testing.assert_allclose(s, sample.search_box * small.search_image.shape[1] / 320, rtol=0.02)
    ys, xs = np.nonzero(small.search_mask)  # the mask shrinks with its frame and stays on the box
    assert abs(xs.min() - s[0]) <= 1 and abs(ys.max() + 1 - s[3]) <= 1
    tiny = PairSample(frame, np.array([10.0, 10.0, 20.0, 20.0]), frame, None, None)
    assert shrink_pair(tiny, np.random.default_rng(1)) is tiny  # already small: left as it is
