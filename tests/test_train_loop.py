import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import dettrack
from dettrack.train.checkpoints import list_checkpoints
from dettrack.train.config import complete, load_config
from dettrack.train.loop import lr_factor, train
from dettrack.train.samples import PairSample
from dettrack.train.stream import TrainingStream

HERE = Path(__file__).resolve().parent


class BlockPairs:
    """A textured block on noise at two positions: a real, if easy, tracking pair."""

    def sample(self, rng: np.random.Generator) -> PairSample:
        frames, boxes = [], []
        patch = rng.integers(128, 256, (24, 32, 3), dtype=np.uint8)
        for _ in range(2):
            frame = rng.integers(0, 100, (96, 128, 3), dtype=np.uint8)
            x, y = int(rng.integers(0, 96)), int(rng.integers(0, 72))
            frame[y : y + 24, x : x + 32] = patch
            frames.append(frame)
            boxes.append(np.array([x, y, x + 32, y + 24], dtype=np.float64))
        mask = np.zeros((96, 128), bool)
        mask[int(boxes[1][1]) : int(boxes[1][3]), int(boxes[1][0]) : int(boxes[1][2])] = True
        absent = rng.random() < 0.2
        return PairSample(frames[0], boxes[0], frames[1], None if absent else boxes[1], None if absent else mask)


def tiny_config(**train) -> dict:
    raw = {
        "model": {
            "name": "mobilenet_v2_fpn",
            "out_channels": 32,
            "representation_size": 64,
            "mask_layers": [32, 32],
            "num_classes": 3,
            "min_size": 96,
            "max_size": 128,
            "rpn_batch_size_per_image": 32,
            "box_batch_size_per_image": 32,
            "num_negatives": 64,
        },
        "train": {"iterations": 4, "batch_size": 2, "checkpoint_every": 2, "log_every": 1, "warmup_iterations": 2, **train},
    }
    return complete(raw, "test")


def make_stream(config: dict, rank: int) -> TrainingStream:
    t = config["train"]
    return TrainingStream([(BlockPairs(), 1.0)], None, 0.0, t["batch_size"], t["iterations"], t["seed"], rank)


def test_stream_is_a_pure_function_of_iteration_and_rank():
    stream = make_stream(tiny_config(), 0)
    a, b = stream[3], stream[3]
    torch.testing.assert_close(a[1][2][0], b[1][2][0])
    other_rank = make_stream(tiny_config(), 1)[3]
    assert not torch.equal(a[1][2][0], other_rank[1][2][0])


def test_killed_and_resumed_run_ends_with_the_same_weights(tmp_path):
    config = tiny_config()
    # bit-exact resumption is a CPU property: CUDA's atomics make backward passes vary slightly
    straight = train(config, tmp_path / "straight", make_stream, quiet=True, device="cpu")
    train(config, tmp_path / "parts", make_stream, quiet=True, stop_after=2, device="cpu")  # "killed" after iteration 2
    assert [p.name for p in list_checkpoints(tmp_path / "parts" / "checkpoints")] == ["iter_00000002.pt"]
    resumed = train(config, tmp_path / "parts", make_stream, resume=True, quiet=True, device="cpu")
    a = torch.load(straight, weights_only=True)["state_dict"]
    b = torch.load(resumed, weights_only=True)["state_dict"]
    initial = dettrack.build_model(**config["model"]).state_dict()
    changed = [k for k in a if a[k].is_floating_point() and not torch.equal(a[k], initial[k])]
    assert changed, "training changed nothing"
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)
    assert (tmp_path / "parts" / "config.yaml").is_file()
    assert any((tmp_path / "parts" / "tensorboard").iterdir())


def test_checkpoints_keep_the_last_k(tmp_path):
    config = tiny_config(iterations=5, checkpoint_every=1, keep_last=2)
    train(config, tmp_path, make_stream, quiet=True)
    assert [p.name for p in list_checkpoints(tmp_path / "checkpoints")] == ["iter_00000004.pt", "iter_00000005.pt"]
    model = dettrack.load_checkpoint(tmp_path / "model.pt")
    assert model.config == dettrack.build_model(**config["model"]).config


def test_lr_schedule_warms_up_then_decays():
    t = {"warmup_iterations": 10, "iterations": 110, "schedule": "cosine"}
    assert lr_factor(0, t) == pytest.approx(0.1)
    assert lr_factor(9, t) == pytest.approx(1.0)
    assert lr_factor(60, t) == pytest.approx(0.5)
    assert lr_factor(110, t) == pytest.approx(0.0)


def test_config_errors_name_the_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model: {name: mobilenet_v2_fpn}\ntrain: {iteratoins: 5}\n")
    with pytest.raises(ValueError, match=r"bad.yaml: unknown key\(s\) train.iteratoins"):
        load_config(path)
    path.write_text("model: {name: mobilenet_v2_fpn}\n")
    config = load_config(path, ["train.iterations=7", "model.out_channels=64"])
    assert config["train"]["iterations"] == 7 and config["model"]["out_channels"] == 64
    with pytest.raises(ValueError, match="section.key=value"):
        load_config(path, ["iterations=7"])
    with pytest.raises(FileNotFoundError, match="config not found"):
        load_config(tmp_path / "none.yaml")


@pytest.mark.parametrize(
    "section, key, value, wanted",
    [
        ("train", "optimizer", "adam", "one of sgd, adamw"),
        ("train", "schedule", "cosin", "one of cosine, constant"),
        ("train", "iterations", 0, "an integer >= 1"),
        ("train", "lr", "0.01x", "a number > 0"),
        ("train", "amp", "yes", "one of True, False"),
        ("data", "negative_pairs", 1.5, "a number >= 0 and <= 1"),
        ("data", "pair_shares", {"sequences": 1, "videos": 2}, "a share >= 0 for each of sequences, image_pairs, copy_paste"),
        ("val", "every", -5, "an integer >= 0"),
        ("tracking", "search_region", 25.5, "an integer >= 0"),
        ("tracking", "window_influence", 2, "a number in \\[0, 1\\]"),
    ],
)
def test_every_value_is_checked_when_the_recipe_loads(section, key, value, wanted):
    raw = {"model": {"name": "mobilenet_v2_fpn"}, section: {key: value}}
    where = f"tracking: {key}" if section == "tracking" else f"{section}.{key}"  # TrackingSettings' own message
    with pytest.raises(ValueError, match=f"recipe.yaml: {where} must be {wanted}, got"):
        complete(raw, "recipe.yaml")


def test_pair_shares_not_given_keep_their_defaults():
    config = complete({"model": {"name": "mobilenet_v2_fpn"}, "data": {"pair_shares": {"sequences": 0.5}}}, "recipe.yaml")
    assert config["data"]["pair_shares"] == {"sequences": 0.5, "image_pairs": 1.0, "copy_paste": 1.0}


def test_two_process_ddp_keeps_replicas_identical(tmp_path):
    script = HERE / "ddp_worker.py"
    env = {**os.environ, "PYTHONPATH": str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29531", str(script), str(tmp_path)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    final = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    start = torch.load(tmp_path / "start.pt", weights_only=True)
    moved = False
    for key in final[0]:
        torch.testing.assert_close(final[0][key], final[1][key], rtol=0, atol=0, msg=key)
        moved |= final[0][key].is_floating_point() and not torch.equal(final[0][key], start[key])
    assert moved


def test_loss_weights_scale_each_term(tmp_path):
    def mask_logits_after(run: Path, weights: dict) -> list[torch.Tensor]:
        config = tiny_config(iterations=2, checkpoint_every=1, keep_last=2, weight_decay=0.0, loss_weights=weights)
        train(config, run, make_stream, quiet=True, device="cpu")  # exact zeros need exact arithmetic
        states = [torch.load(p, weights_only=True)["state_dict"] for p in list_checkpoints(run / "checkpoints")]
        return [s["roi_heads.track_mask_predictor.mask_fcn_logits.weight"] for s in states]

    first, second = mask_logits_after(tmp_path / "off", {"loss_mask": 0.0})
    assert torch.equal(first, second)  # no mask gradient at all
    first, second = mask_logits_after(tmp_path / "on", {"loss_mask": 2.0})
    assert not torch.equal(first, second)
    with pytest.raises(ValueError, match="train.loss_weights"):
        tiny_config(loss_weights={"loss_masks": 2.0})


def test_negative_pairs_take_another_pairs_search_frame_with_no_object():
    negative = TrainingStream([(BlockPairs(), 1.0)], None, 0.0, 8, 40, 0, 0, negative_pairs=0.5)
    rng = np.random.default_rng(3)
    pairs = [negative._pair(rng) for _ in range(200)]
    absent = [p for p in pairs if p.search_box is None]
    # BlockPairs drops the object in 20% of pairs; negatives add about half of the rest
    assert 0.45 < len(absent) / len(pairs) < 0.8
    assert all(p.search_mask is None for p in absent)
    plain = TrainingStream([(BlockPairs(), 1.0)], None, 0.0, 8, 40, 0, 0)
    assert sum(plain._pair(rng).search_box is None for _ in range(200)) < 0.3 * 200


def test_photometric_pairs_keep_their_boxes_and_off_draws_nothing():
    plain = TrainingStream([(BlockPairs(), 1.0)], None, 0.0, 8, 40, 0, 0)
    jittered = TrainingStream([(BlockPairs(), 1.0)], None, 0.0, 8, 40, 0, 0, photometric=1.0)
    for seed in range(5):
        a, b = (s._positive_pair(np.random.default_rng(seed)) for s in (plain, jittered))
        for x, y in ((a.template_box, b.template_box), (a.search_box, b.search_box)):
            assert (x is None and y is None) or np.array_equal(x, y)
        assert not np.array_equal(a.template_image, b.template_image)
        assert not np.array_equal(a.search_image, b.search_image)

    class CountingRNG:
        """A generator that counts its random() draws."""

        def __init__(self, seed: int) -> None:
            self.rng, self.draws = np.random.default_rng(seed), 0

        def random(self, *args, **kwargs):
            self.draws += 1
            return self.rng.random(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.rng, name)

    # off, a pair draws exactly what it drew before the setting existed (BlockPairs' absence,
    # the flip, the search crop), so older recipes replay the same batches
    rng = CountingRNG(0)
    TrainingStream([(BlockPairs(), 1.0)], None, 0.0, 8, 40, 0, 0, photometric=0.0)._positive_pair(rng)
    assert rng.draws == 3


def test_fine_tuning_starts_from_a_model_and_trains_only_the_named_parts(tmp_path):
    first = train(tiny_config(), tmp_path / "first", make_stream, quiet=True)
    start = torch.load(first, weights_only=True)["state_dict"]
    heads = ["roi_heads.mask_head", "roi_heads.track_mask_predictor"]
    second = train(tiny_config(init_from=str(first), trainable=heads), tmp_path / "second", make_stream, quiet=True)
    end = torch.load(second, weights_only=True)["state_dict"]
    trained = {k for k in start if start[k].is_floating_point() and not torch.equal(start[k], end[k])}
    assert trained, "fine-tuning changed nothing"
    assert all(k.startswith(tuple(heads)) for k in trained), sorted(trained)[:5]
    assert any(k.startswith("roi_heads.mask_head") for k in trained)


def test_a_rebuilt_mask_trunk_starts_fresh_on_a_trained_model(tmp_path):
    first = train(tiny_config(), tmp_path / "first", make_stream, quiet=True)
    config = tiny_config(init_from=str(first), init_exclude=["roi_heads.mask_head"], trainable=["roi_heads.mask_head"])
    config["model"]["mask_norm"] = "group"
    second = train(config, tmp_path / "second", make_stream, quiet=True)
    model = dettrack.load_checkpoint(second)
    assert any(isinstance(m, torch.nn.GroupNorm) for m in model.roi_heads.mask_head.modules())
    start = torch.load(first, weights_only=True)["state_dict"]
    end = model.state_dict()
    assert all(torch.equal(start[k], end[k].to(start[k].dtype)) for k in start if not k.startswith("roi_heads.mask_head"))
    config["train"]["init_exclude"] = []
    with pytest.raises(ValueError, match=r"train.init_from .*(missing|unexpected)"):
        train(config, tmp_path / "third", make_stream, quiet=True)


def test_fine_tuning_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="train.trainable: no parameter starts with 'roi_heads.mask_haed'"):
        train(tiny_config(trainable=["roi_heads.mask_haed"]), tmp_path / "typo", make_stream, quiet=True)
    with pytest.raises(ValueError, match="train.trainable must be a list"):
        tiny_config(trainable="roi_heads.mask_head")
    other = dict(tiny_config()["model"], out_channels=16)
    path = tmp_path / "other.pt"
    dettrack.save_checkpoint(dettrack.build_model(**other), path)
    with pytest.raises(ValueError, match=r"train.init_from .*other.pt.*wrong shape"):
        train(tiny_config(init_from=str(path)), tmp_path / "mismatch", make_stream, quiet=True)


def test_validation_leaves_the_training_weights_in_their_layout(tmp_path):
    seen = []

    def validate(model):
        tracker = dettrack.Tracker(model)  # a tracking session never changes the model it runs
        frame = np.zeros((64, 80, 3), np.uint8)
        tracker.init(frame, (10, 10, 30, 30))
        tracker.update(frame)
        seen.append(all(p.is_contiguous() for p in model.parameters()) and not model.training)
        return {"AO": 0.0}

    config = tiny_config(iterations=2)
    config["val"]["every"] = 1
    final = train(config, tmp_path, make_stream, validate, quiet=True, device="cpu")
    weights = torch.load(final, weights_only=True)["state_dict"]
    assert seen == [True, True]
    assert all(w.is_contiguous() for w in weights.values())
