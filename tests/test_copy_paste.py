"""Copy-paste video synthesis: determinism, exact boxes, occlusion, exits, distractors, real COCO cut-outs."""

import dataclasses
import json

import numpy as np
import pytest
from conftest import shared_path

from dettrack.data.copy_paste import (
    CutOut,
    SynthConfig,
    make_cutouts,
    sample_pair,
    sample_scene,
    scene_config,
    synthesize_sequence,
)

SMALL = SynthConfig(height=96, width=128)
QUIET = dataclasses.replace(SMALL, num_others=(0, 0), num_same_category=(0, 0), num_same_instance=(0, 0),
                            exit_prob=0.0, occluder_prob=0.0)


def blob(key, category, height=40, width=30, seed=0):
    """A textured cut-out whose mask is an ellipse filling the crop."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:height, :width]
    mask = ((rows - (height - 1) / 2) / (height / 2)) ** 2 + ((cols - (width - 1) / 2) / (width / 2)) ** 2 <= 1
    return CutOut(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), mask, category, key)


@pytest.fixture(scope="module")
def cutouts():
    return [blob(f"c{category}-{i}", category, 30 + 5 * i, 40 - 4 * i, seed=10 * category + i)
            for category in (1, 2) for i in range(3)]


@pytest.fixture(scope="module")
def backgrounds():
    rng = np.random.default_rng(1)
    return [rng.integers(0, 256, (150, 200, 3), dtype=np.uint8), np.full((120, 160), 90, np.uint8)]


def tight_box(mask):
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return np.full(4, np.nan)
    return np.array([cols.min(), rows.min(), cols.max() - cols.min() + 1, rows.max() - rows.min() + 1], float)


def check_clip(clip, config):
    """Shapes, dtypes, disjoint visible masks, and boxes that are the tight boxes of present visible masks."""
    count = len(clip)
    assert clip.frames.shape == (count, config.height, config.width, 3) and clip.frames.dtype == np.uint8
    assert clip.objects[0].role == "target"
    assert (np.sum([o.masks for o in clip.objects], axis=0) <= 1).all()
    for obj in clip.objects:
        assert obj.masks.shape == (count, config.height, config.width) and obj.masks.dtype == bool
        assert obj.boxes.shape == (count, 4) and obj.present.shape == (count,)
        for t in range(count):
            if obj.present[t]:
                np.testing.assert_array_equal(obj.boxes[t], tight_box(obj.masks[t]))
            else:
                assert np.isnan(obj.boxes[t]).all()


def test_same_seed_same_clip_and_other_seed_differs(cutouts, backgrounds):
    config = dataclasses.replace(SMALL, exit_prob=0.5, occluder_prob=0.5)
    first, again, other = (synthesize_sequence(cutouts, backgrounds, np.random.default_rng(seed), 8, config)
                           for seed in (5, 5, 6))
    np.testing.assert_array_equal(first.frames, again.frames)
    np.testing.assert_array_equal(first.boxes, again.boxes)
    np.testing.assert_array_equal(first.masks, again.masks)
    assert [o.key for o in first.objects] == [o.key for o in again.objects]
    assert not np.array_equal(first.frames, other.frames)


@pytest.mark.parametrize("seed", range(4))
def test_boxes_are_tight_boxes_of_visible_masks(cutouts, backgrounds, seed):
    config = dataclasses.replace(SMALL, num_others=(1, 3), num_same_category=(1, 1), occluder_prob=0.5, exit_prob=0.5)
    clip = synthesize_sequence(cutouts, backgrounds, np.random.default_rng(seed), 12, config)
    check_clip(clip, config)
    assert clip.present[0]
    assert len(clip.objects) >= 3


def test_occluder_hides_target_and_can_make_it_absent(cutouts, backgrounds):
    config = dataclasses.replace(QUIET, occluder_prob=1.0, occluder_size=(3.0, 3.0), occluder_speed=(0.005, 0.01),
                                 target_size=(0.15, 0.15))
    scene = sample_scene(cutouts, backgrounds, np.random.default_rng(2), config, duration=40)
    assert scene.sprites[-1].role == "occluder" and scene.order[-1] == len(scene.sprites) - 1
    bare = dataclasses.replace(scene, sprites=scene.sprites[:-1], order=scene.order[:-1])
    clip, alone = scene.render(range(40)), bare.render(range(40))
    check_clip(clip, config)
    assert (clip.masks <= alone.masks).all()  # the occluder only takes pixels away
    assert clip.masks.sum() < alone.masks.sum()
    assert alone.present.all()
    hidden = ~clip.present
    assert hidden.any() and (clip.target.visible[hidden] < config.min_visible).all()
    assert np.isnan(clip.boxes[hidden]).all()


def test_target_leaves_and_reenters_the_frame(cutouts, backgrounds):
    config = dataclasses.replace(QUIET, exit_prob=1.0)
    clip = synthesize_sequence(cutouts, backgrounds, np.random.default_rng(3), 60, config)
    check_clip(clip, config)
    absent = np.flatnonzero(~clip.present)
    assert clip.present[0] and absent.size > 0
    assert np.isnan(clip.boxes[absent]).all()
    assert any(not clip.masks[t].any() for t in absent)  # fully outside, not merely clipped
    assert clip.present[absent[-1] + 1:].any()  # it comes back


def test_same_category_and_same_instance_distractors(cutouts, backgrounds):
    config = dataclasses.replace(QUIET, num_same_category=(2, 2), num_same_instance=(1, 1))
    clip = synthesize_sequence(cutouts, backgrounds, np.random.default_rng(4), 10, config)
    check_clip(clip, config)
    target = clip.target
    roles = [o.role for o in clip.objects]
    assert roles.count("same_category") == 2 and roles.count("same_instance") == 1
    for obj in clip.objects[1:]:
        assert obj.category == target.category and obj.present.any()
        assert (obj.key == target.key) == (obj.role == "same_instance")


def test_distractors_are_skipped_when_the_pool_lacks_them(backgrounds):
    config = dataclasses.replace(QUIET, num_same_category=(2, 2), num_others=(1, 1))
    clip = synthesize_sequence([blob("only", 1)], backgrounds, np.random.default_rng(0), 3, config)
    assert [o.role for o in clip.objects] == ["target"]


def test_pair_matches_the_scene_rendered_as_a_video(cutouts, backgrounds):
    config = dataclasses.replace(SMALL, occluder_prob=1.0)
    pair = sample_pair(cutouts, backgrounds, np.random.default_rng(7), max_gap=10, config=config)
    assert len(pair) == 2 and pair.times[0] == 0 and 1 <= pair.times[1] <= 10
    assert pair.present[0]
    check_clip(pair, config)
    scene = sample_scene(cutouts, backgrounds, np.random.default_rng(8), config, duration=12)
    video, two = scene.render(range(12)), scene.render([0, 11])
    np.testing.assert_array_equal(video.frames[[0, 11]], two.frames)
    np.testing.assert_array_equal(video.masks[[0, 11]], two.masks)
    gapped = sample_pair(cutouts, backgrounds, np.random.default_rng(7), max_gap=10, config=config, gap=4)
    assert list(gapped.times) == [0, 4]


def test_callable_backgrounds_and_rgba_or_gray_inputs(cutouts):
    rgba = np.dstack([cutouts[0].image, np.full(cutouts[0].mask.shape, 255, np.uint8)])
    gray = CutOut(cutouts[1].image[..., 0], cutouts[1].mask, 1, "gray")
    pool = [CutOut(rgba, cutouts[0].mask, 1, "rgba"), gray]

    def photo(rng):
        return rng.integers(0, 256, (100, 140, 4), dtype=np.uint8)

    clip = synthesize_sequence(pool, photo, np.random.default_rng(0), 4, SMALL)
    check_clip(clip, SMALL)
    assert gray.image.shape == (*gray.mask.shape, 3)


def test_bad_inputs_raise_value_errors(cutouts, backgrounds):
    image, mask = np.zeros((10, 12, 3), np.uint8), np.ones((10, 11), bool)
    with pytest.raises(ValueError, match="no cut-outs"):
        synthesize_sequence([], backgrounds, np.random.default_rng(0))
    with pytest.raises(ValueError, match="mask shape .* does not match crop shape"):
        CutOut(image, mask, 1, "k")
    with pytest.raises(ValueError, match="mask shape .* does not match image shape"):
        make_cutouts([(image, mask, 1)])
    with pytest.raises(ValueError, match="no background"):
        sample_pair(cutouts, [], np.random.default_rng(0))
    with pytest.raises(ValueError, match="uint8"):
        sample_pair(cutouts, [np.zeros((50, 50, 3), np.float32)], np.random.default_rng(0))
    with pytest.raises(ValueError, match="empty mask"):
        CutOut(image, np.zeros((10, 12), bool), 1, "k")
    with pytest.raises(ValueError, match="target_size"):
        SynthConfig(target_size=(0.5, 0.1))


def test_make_cutouts_crops_to_the_mask_and_counts_skipped_masks():
    image = np.arange(60 * 80 * 3, dtype=np.uint8).reshape(60, 80, 3)
    big, tiny, thin = (np.zeros((60, 80), bool) for _ in range(3))
    big[10:30, 20:50] = True
    tiny[5:7, 5:7] = True
    thin[40, 0:80] = True
    with pytest.warns(UserWarning, match="skipped 2 of 3"):
        cuts = make_cutouts([(image, big, 3), (image, tiny, 3), (image, thin, 4, "line")], min_area=16)
    assert len(cuts) == 1 and cuts[0].key == 0 and cuts[0].category == 3
    np.testing.assert_array_equal(cuts[0].image, image[10:30, 20:50])
    assert cuts[0].mask.all()


def coco_cutouts(root, images=12):
    """Cut-outs and backgrounds from the first COCO images, masks decoded with pycocotools."""
    from PIL import Image

    mask_api = pytest.importorskip("pycocotools.mask")
    data = json.loads((root / "annotations" / "instances_train2017.json").read_text())
    chosen = {info["id"]: info for info in data["images"][:images]}
    photos = {i: np.array(Image.open(root / "train2017" / info["file_name"]).convert("RGB"))
              for i, info in chosen.items()}
    items = []
    for ann in data["annotations"]:
        info = chosen.get(ann["image_id"])
        if info is None or ann.get("iscrowd"):
            continue
        segmentation = ann["segmentation"]
        rles = mask_api.frPyObjects(segmentation, info["height"], info["width"])
        mask = mask_api.decode(mask_api.merge(rles) if isinstance(rles, list) else rles).astype(bool)
        items.append((photos[ann["image_id"]], mask, ann["category_id"], ann["id"]))
    with pytest.warns(UserWarning, match="skipped"):
        cuts = make_cutouts(items, min_area=256)
    return cuts, list(photos.values())


def test_real_coco_cutouts_make_valid_sequences():
    cuts, photos = coco_cutouts(shared_path("data", "coco128"))
    assert len(cuts) > 10
    config = SynthConfig(height=160, width=240, num_same_category=(1, 1), occluder_prob=0.5, exit_prob=0.5)
    clip = synthesize_sequence(cuts, photos, np.random.default_rng(0), 10, config)
    check_clip(clip, config)
    assert clip.present[0]
    for seed in range(3):
        pair = sample_pair(cuts, photos, np.random.default_rng(seed), max_gap=30, config=config)
        check_clip(pair, config)
        assert pair.present[0] and pair.target.masks[0].sum() >= config.min_pixels


def test_a_recipes_scene_settings_change_the_clips(cutouts, backgrounds):
    config = scene_config({"num_same_category": [2, 2], "num_same_instance": [1, 1], "num_others": [0, 0],
                           "occluder_prob": 0.0, "exit_prob": 0.0}, (96, 128))
    assert (config.height, config.width, config.num_same_category) == (96, 128, (2, 2))
    clip = synthesize_sequence(cutouts, backgrounds, np.random.default_rng(4), 6, config)
    assert [o.role for o in clip.objects].count("same_category") == 2
    with pytest.raises(ValueError, match="unknown setting\\(s\\) height, num_same_categry"):
        scene_config({"num_same_categry": [1, 2], "height": 10})
    with pytest.raises(ValueError, match="num_same_category must be a range"):
        scene_config({"num_same_category": [3, 1]})
