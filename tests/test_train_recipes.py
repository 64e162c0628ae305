"""The shipped recipes load, and configs/paper.yaml trains on fixture data in its formats."""

from pathlib import Path

import pytest

import dettrack
from dettrack.train.build import load_sequences, stream_factory, validator
from dettrack.train.config import complete, load_config
from dettrack.train.loop import train

from conftest import SHARED, shared_path
from test_readers_coco import coco_fixture
from test_readers_imagenet_vid import make_vid
from test_readers_youtube_vos import make_ytvos

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_ablation_recipes_differ_from_the_paper_only_in_the_template():
    paper = load_config(CONFIGS / "paper.yaml")
    for variant in ("center", "mean_pos", "mean_diff", "linreg"):
        ablation = load_config(CONFIGS / "ablation" / f"{variant}.yaml")
        assert ablation["model"]["template_variant"] == variant
        paper["model"]["template_variant"] = variant
        assert ablation == paper


def test_paper_recipe_runs_two_iterations_on_fixture_data(tmp_path):
    make_vid(tmp_path / "vid")
    make_ytvos(tmp_path / "ytvos")
    coco_fixture(tmp_path / "coco")
    overrides = [
        "model.maskrcnn_weights=null",  # random weights: no download in tests
        "model.min_size=96",
        "model.max_size=128",
        "model.num_negatives=128",
        f"data.detection=[{{format: coco, root: {tmp_path / 'coco'}, annotations: annotations.json, images: images}}]",
        f"data.sequences=[{{format: imagenet_vid, root: {tmp_path / 'vid'}, split: train}}, "
        f"{{format: youtube_vos, root: {tmp_path / 'ytvos'}, split: train}}]",
        "val.sequences=[]",
        "train.iterations=2",
        "train.detection_ratio=0.5",
        "train.checkpoint_every=1",
        "train.num_workers=0",
        "tracking.full_frame=false",
        "tracking.search_size=160",
    ]
    config = load_config(CONFIGS / "paper.yaml", overrides)
    with pytest.warns(UserWarning):  # the COCO fixture holds a degenerate box, counted and dropped
        factory = stream_factory(config)
    stream = factory(config, 0)
    assert {stream.mode(i) for i in range(40)} == {"track", "detect"}
    final = train(config, tmp_path / "run", factory, validator(config), quiet=True)
    model = dettrack.load_checkpoint(final)
    assert model.config["name"] == "resnet50_fpn" and model.template_builder.variant == "linreg"
    # the recipe's tracking section travels with the model
    assert model.tracking_defaults["search_size"] == 160
    settings = dettrack.open_session(model).settings
    assert (settings.full_frame, settings.search_size, settings.presence_threshold) == (False, 160, 0.5)


def test_demo_recipe_reads_the_shared_data_and_holds_out_the_validation_split():
    shared_path("data", "davis2016")
    config = load_config(CONFIGS / "demo.yaml")
    # recipe roots are relative to the repository root (../shared); point them at SHARED
    for section, key in (("data", "sequences"), ("val", "sequences")):
        for entry in config[section][key]:
            entry["root"] = entry["root"].replace("../shared", str(SHARED))
    train_seqs = load_sequences(config["data"]["sequences"], "data.sequences")
    val_seqs = load_sequences(config["val"]["sequences"], "val.sequences")
    train_videos = {s.video for s in train_seqs}
    val_videos = {s.video for s in val_seqs}
    assert not train_videos & val_videos
    assert {"bmx-trees", "camel", "dog", "libby", "Couple", "Crossing", "Football1"} <= val_videos
    assert len(val_videos) >= 7 and len(train_videos) >= 10


def test_mask_stage_of_the_demo_recipe_keeps_the_held_out_split_and_the_boxes():
    shared_path("data", "davis2016")
    stage1, stage2 = load_config(CONFIGS / "demo.yaml"), load_config(CONFIGS / "demo_masks.yaml")
    assert stage2["model"] == {**stage1["model"], "mask_norm": "group"}
    assert stage2["tracking"] == stage1["tracking"]
    mask_branch = ["roi_heads.mask_head", "roi_heads.mask_predictor", "roi_heads.track_mask_predictor"]
    assert stage2["train"]["trainable"] == stage2["train"]["init_exclude"] == mask_branch
    for entry in stage2["data"]["sequences"]:
        entry["root"] = entry["root"].replace("../shared", str(SHARED))
    trained = {s.video for s in load_sequences(stage2["data"]["sequences"], "data.sequences")}
    assert trained and not trained & {"bmx-trees", "camel", "dog", "libby", "Couple", "Crossing", "Football1"}


def test_copy_paste_scene_is_checked_when_the_recipe_loads(tmp_path):
    recipe = tmp_path / "more_lookalikes.yaml"
    recipe.write_text(f"base: {CONFIGS / 'light.yaml'}\ndata:\n  copy_paste_scene: {{num_same_category: [1, 3]}}\n")
    assert load_config(recipe)["data"]["copy_paste_scene"] == {"num_same_category": [1, 3]}
    recipe.write_text(f"base: {CONFIGS / 'light.yaml'}\ndata:\n  copy_paste_scene: {{lookalikes: 3}}\n")
    with pytest.raises(ValueError, match="data.copy_paste_scene must be valid synthetic-clip settings \\(unknown setting\\(s\\) lookalikes"):
        load_config(recipe)


def test_bad_entries_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"data.sequences: exclude names sequence\(s\) not in .*: nope"):
        load_sequences([{"format": "otb", "root": str(shared_path("data", "otb")), "exclude": ["nope"]}], "data.sequences")
    with pytest.raises(ValueError, match="unknown key"):
        load_sequences([{"format": "otb", "root": "x", "skip": []}], "data.sequences")
    with pytest.raises(FileNotFoundError):
        load_sequences([{"format": "otb", "root": str(tmp_path / "none")}], "data.sequences")


def test_recipe_tracking_sections_load_and_multitracker_ones_are_read_in_the_new_names():
    for path in sorted(CONFIGS.rglob("*.yaml")):
        dettrack.TrackingSettings.from_mapping(load_config(path)["tracking"], str(path))
    # configs/demo.yaml's section as it was written for MultiTracker reads as the section it has now
    former = {
        "search_region": 256, "context": 4.0, "refresh_every": 15, "search_skip_levels": 1, "presence_threshold": 0.5,
        "window_influence": 0.4, "scale_penalty": 0.1, "size_rate": 0.4,
    }
    raw = {"model": {"name": "mobilenet_v2_fpn"}, "tracking": former}
    assert complete(raw, "former.yaml")["tracking"] == load_config(CONFIGS / "demo.yaml")["tracking"]
    assert load_config(CONFIGS / "paper.yaml")["tracking"]["full_frame"]  # the paper's tracker: whole frames
