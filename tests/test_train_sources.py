"""Training sources on the real data in ../shared/data: pairs and detection samples are consistent."""

import numpy as np
import pytest

from dettrack.data import read_coco_file, read_davis2016
from dettrack.train.copy_paste_source import REGION_CATEGORY, CopyPastePairs, region_cutouts
from dettrack.train.sources import DetectionImages, ImagePairs, SequencePairs

from conftest import shared_path


def _mask_box(mask: np.ndarray) -> list[float]:
    ys, xs = np.nonzero(mask)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


@pytest.fixture(scope="module")
def fruits():
    root = shared_path("data", "fruits_nuts")
    return read_coco_file(root / "trainval.json", root / "images")


def test_sequence_pairs_stay_within_the_gap_and_match_the_masks():
    davis = read_davis2016(shared_path("data", "davis2016"))
    blackswan = [s for s in davis if s.name == "blackswan"]
    pairs = SequencePairs(blackswan, max_gap=3)
    rng = np.random.default_rng(0)
    for _ in range(5):
        p = pairs.sample(rng)
        assert p.template_image.shape == (480, 854, 3) and p.search_box is not None
        assert p.search_box.tolist() == pytest.approx(_mask_box(p.search_mask), abs=1.0)
        # a swan moves little in 3 frames
        assert np.abs(p.search_box - p.template_box).max() < 60


def test_image_pairs_cut_a_region_around_an_instance(fruits):
    pairs = ImagePairs(fruits)
    rng = np.random.default_rng(1)
    for _ in range(5):
        p = pairs.sample(rng)
        h, w = p.search_image.shape[:2]
        assert h == w and p.search_box is not None and p.search_mask.shape == (h, w)
        assert p.search_box.tolist() == _mask_box(p.search_mask)
        x1, y1, x2, y2 = p.template_box
        assert 0 <= x1 < x2 <= p.template_image.shape[1] and 0 <= y1 < y2 <= p.template_image.shape[0]


def test_copy_paste_pairs_give_exact_targets(fruits):
    pairs = CopyPastePairs(fruits, size=(160, 240), max_gap=20)
    rng = np.random.default_rng(2)
    absent = 0
    for _ in range(12):
        p = pairs.sample(rng)
        assert p.template_image.shape == p.search_image.shape == (160, 240, 3)
        if p.search_box is None:
            absent += 1
            continue
        assert p.search_box.tolist() == _mask_box(p.search_mask)
    assert absent < 12


def test_region_cutouts_are_convex_patches_of_the_images(fruits):
    records = fruits[:3]
    regions = region_cutouts(records, 4, np.random.default_rng(0))
    assert len(regions) == 12 and {c.category for c in regions} == {REGION_CATEGORY}
    assert len({c.key for c in regions}) == 12
    for cut, record in zip(regions, [r for r in records for _ in range(4)]):
        height, width = record.image().shape[:2]
        assert cut.mask.shape == cut.image.shape[:2] and cut.mask.any(0).all() and cut.mask.any(1).all()  # cropped to the polygon
        assert all(np.all(np.diff(np.flatnonzero(row)) == 1) for row in cut.mask)  # convex: one run of pixels per row
        assert 0.03 * min(height, width) < max(cut.mask.shape) <= 0.6 * max(height, width)
    again = region_cutouts(records, 4, np.random.default_rng(0))
    assert all(np.array_equal(a.mask, b.mask) for a, b in zip(regions, again))
    with_regions = CopyPastePairs(fruits, size=(160, 240), max_gap=20, regions=1)
    assert len(with_regions.cutouts) - len(CopyPastePairs(fruits, size=(160, 240), max_gap=20).cutouts) == len(fruits)


def test_detection_images_keep_non_crowd_instances_with_masks(fruits):
    images = DetectionImages(fruits)
    sample = images.sample(np.random.default_rng(3))
    assert sample.masks is not None and len(sample.masks) == len(sample.boxes) == len(sample.labels)
    for box, mask in zip(sample.boxes, sample.masks):
        assert box.tolist() == pytest.approx(_mask_box(mask), abs=2.0)
    assert set(sample.labels.tolist()) <= {1, 2, 3}
