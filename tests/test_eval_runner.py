"""dettrack eval: the runner on real OTB frames and on fixtures of every benchmark's layout."""

import json

import numpy as np
import pytest

import dettrack
from dettrack.cli import main
from dettrack.data import open_dataset
from dettrack.data.lazy import read_label_image
from dettrack.eval.benchmarks import get_benchmark, load_sequences
from dettrack.eval.runner import parse_shard, run_tracker

from conftest import small_model
from test_eval_datasets import one_thread  # noqa: F401  (a fixture)
from test_eval_datasets import (
    HEIGHT,
    WIDTH,
    labels,
    object_box,
    oracle_factory,
    real_otb_subset,
    write_davis,
    write_got10k,
    write_lasot,
    write_otb,
    write_oxuva,
    write_vot_lt,
    write_ytvos,
)


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / (aw * ah + bw * bh - w * h)


def test_csrt_on_real_otb_frames_writes_official_files_and_resumes(tmp_path, capsys):
    root, out = real_otb_subset(tmp_path / "otb"), tmp_path / "out"
    args = ["eval", "--dataset", "otb", "--root", str(root), "--tracker", "csrt", "--out", str(out), "--device", "cpu"]
    assert main(args) == 0
    boxes_file, json_file = out / "csrt" / "Couple.txt", out / "csrt" / "sequences" / "Couple.json"
    rows = [[float(v) for v in line.split(",")] for line in boxes_file.read_text().splitlines()]
    assert len(rows) == 10 and rows[0] == [51, 47, 25, 62]  # the first ground-truth line, 1-based as OTB writes it
    run = json.loads(json_file.read_text())
    assert run["frames"] == 10 and run["init_frame"] == 0 and run["tracker"] == "csrt"
    np.testing.assert_allclose(np.array(run["boxes"]) + [1, 1, 0, 0], rows, atol=1e-3)
    assert run["present"] == [True] * 10 and run["scores"] == [1.0] * 10  # CSRT: no confidence, success = 1
    assert all(t > 0 for t in run["times"]) and run["fps"] > 0
    gt = open_dataset("otb", root)[0].boxes
    assert iou(run["boxes"][9], gt[9]) > 0.5  # CSRT follows the real target over ten frames

    stamps = boxes_file.stat().st_mtime_ns, json_file.stat().st_mtime_ns
    capsys.readouterr()
    assert main(args) == 0
    assert (boxes_file.stat().st_mtime_ns, json_file.stat().st_mtime_ns) == stamps
    assert "ran 0 sequence(s), 1 already done" in capsys.readouterr().err

    json_file.unlink()  # as if interrupted after the box file: the sequence is run again
    assert main(args) == 0 and json_file.is_file()


def test_shards_partition_the_sequences(tmp_path, monkeypatch):
    root = write_otb(tmp_path / "otb")
    done = []
    for shard in ("0/2", "1/2"):
        out = tmp_path / shard.replace("/", "of")
        assert (
            main(
                [
                    "eval",
                    "--dataset",
                    "otb",
                    "--root",
                    str(root),
                    "--tracker",
                    "kcf",
                    "--out",
                    str(out),
                    "--shard",
                    shard,
                    "--quiet",
                ]
            )
            == 0
        )
        done.append({p.stem for p in (out / "kcf" / "sequences").glob("*.json")})
    assert done[0] | done[1] == {"Alpha", "Beta", "Gamma"} and not done[0] & done[1]
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert parse_shard(None) == (1, 2)
    assert (
        main(
            [
                "eval",
                "--dataset",
                "otb",
                "--root",
                str(root),
                "--tracker",
                "kcf",
                "--out",
                str(tmp_path / "rank1"),
                "--quiet",
            ]
        )
        == 0
    )
    assert {p.stem for p in (tmp_path / "rank1" / "kcf" / "sequences").glob("*.json")} == done[1]
    for bad in ("2/2", "a/b", "1"):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)


def run_oracle(tmp_path, name, root, split=None, score=0.9):
    benchmark = get_benchmark(name)
    sequences = load_sequences(benchmark, root, split)
    summary = run_tracker(
        benchmark, sequences, "oracle", oracle_factory(sequences, score), tmp_path / "out", quiet=True
    )
    assert sorted(summary.done) == sorted(s.name for s in sequences)
    return tmp_path / "out" / "oracle"


def lines(path):
    return path.read_text().splitlines()


def test_got10k_lasot_and_uav_style_box_files(tmp_path):
    folder = run_oracle(tmp_path, "got10k", write_got10k(tmp_path / "got"))
    name = "GOT-10k_Val_000001"
    rows = lines(folder / name / f"{name}_001.txt")
    assert len(rows) == 5 and rows[0] == "9.000,11.000,20.000,16.000" and rows[2] == "15.000,11.000,20.000,16.000"
    assert rows[3] == rows[2]  # absent frame: the oracle keeps its last box
    times = [float(v) for v in lines(folder / name / f"{name}_time.txt")]
    assert len(times) == 5 and all(t >= 0 for t in times)
    folder = run_oracle(tmp_path / "l", "lasot", write_lasot(tmp_path / "lasot"))
    assert lines(folder / "square-1.txt")[1] == "12.000,11.000,20.000,16.000"


def test_oxuva_prediction_csv(tmp_path):
    folder = run_oracle(tmp_path, "oxuva", write_oxuva(tmp_path / "oxuva"))
    rows = [row.split(",") for row in lines(folder / "vid0001_obj0000.csv")]
    assert [int(r[2]) for r in rows] == list(range(31, 37))  # every frame after the init frame, absolute numbers
    x, y, w, h = object_box(3)
    assert rows[2][:5] == ["vid0001", "obj0000", "33", "true", "0.900000"]
    np.testing.assert_allclose(
        [float(v) for v in rows[2][5:]], [x / WIDTH, (x + w) / WIDTH, y / HEIGHT, (y + h) / HEIGHT], atol=1e-6
    )
    assert rows[5][3:5] == ["false", "0.100000"]  # frame 36: the object is absent


def test_vot_lt_region_confidence_and_time_files(tmp_path):
    folder = run_oracle(tmp_path, "vot-lt", write_vot_lt(tmp_path / "vot"))
    base = folder / "longterm" / "car" / "car_001"
    regions = lines(base.with_name("car_001.txt"))
    assert regions[0] == "1" and regions[1] == "11.000,10.000,20.000,16.000" and len(regions) == 5
    assert lines(base.with_name("car_001_confidence.value")) == ["", "0.900000", "0.900000", "0.100000", "0.900000"]
    assert len(lines(base.with_name("car_001_time.value"))) == 5


def test_davis2017_pngs_hold_every_object(tmp_path):
    folder = run_oracle(tmp_path, "davis2017", write_davis(tmp_path / "davis"), "val")
    for t in range(5):
        np.testing.assert_array_equal(read_label_image(folder / "bear" / f"{t:05d}.png"), labels(t, 2))
    assert {p.name for p in (folder / "sequences" / "bear").iterdir()} == {"1.json", "2.json"}


def test_youtube_vos_pngs_with_a_late_object(tmp_path):
    folder = run_oracle(tmp_path, "ytvos", write_ytvos(tmp_path / "ytvos"), "train")
    first = read_label_image(folder / "Annotations" / "clip" / "00000.png")
    assert set(np.unique(first)) == {0, 1}  # object 2 starts on the third frame
    np.testing.assert_array_equal(read_label_image(folder / "Annotations" / "clip" / "00020.png"), labels(4, 2))


def test_box_trackers_paint_boxes_in_mask_benchmarks(tmp_path):
    root = write_davis(tmp_path / "davis", objects=1)
    assert (
        main(
            [
                "eval",
                "--dataset",
                "davis2017",
                "--split",
                "val",
                "--root",
                str(root),
                "--tracker",
                "csrt",
                "--out",
                str(tmp_path / "o"),
                "--quiet",
            ]
        )
        == 0
    )
    label = read_label_image(tmp_path / "o" / "csrt" / "bear" / "00002.png")
    ys, xs = np.nonzero(label == 1)
    assert label.max() == 1 and len(xs) == (xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1)  # a filled box
    assert iou((xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1), object_box(2)) > 0.5


@pytest.mark.usefixtures("one_thread")
def test_dettrack_from_a_checkpoint_in_crop_mode(tmp_path, capsys):
    model = tmp_path / "tiny.pt"
    dettrack.save_checkpoint(small_model(min_size=96, max_size=128, rpn_post_nms_top_n_test=20), model)
    root, out = write_got10k(tmp_path / "got", names=("GOT-10k_Val_000001",), frames=4, absent=()), tmp_path / "out"
    args = ["eval", "--dataset", "got10k", "--root", str(root), "--tracker", "dettrack", "--model", str(model)]
    assert (
        main(
            args
            + ["--tracking", "full_frame=false", "--tracking", "search_size=64", "--presence-threshold", "0", "--out", str(out), "--device", "cpu", "--quiet"]
            + ["--tracking", "window_influence=0.4", "--tracking", "size_rate=0.5"]
        )
        == 0
    )
    assert main(args + ["--tracking", "window_influence=2", "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    assert main(args + ["--tracking", "speed=2", "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    assert main(args + ["--search-region", "64", "--out", str(tmp_path / "bad"), "--quiet"]) == 2  # MultiTracker's spelling, refused
    assert "--search-region was removed; use --tracking search_size=64" in capsys.readouterr().err
    run = json.loads((out / "dettrack" / "sequences" / "GOT-10k_Val_000001.json").read_text())
    assert (
        run["present"] == [True] * 4
        and len(lines(out / "dettrack" / "GOT-10k_Val_000001" / "GOT-10k_Val_000001_001.txt")) == 4
    )


def test_sequence_selection_and_errors(tmp_path, capsys):
    root = write_otb(tmp_path / "otb")
    out = tmp_path / "out"
    assert (
        main(
            [
                "eval",
                "--dataset",
                "otb",
                "--root",
                str(root),
                "--tracker",
                "mil",
                "--sequences",
                "Beta",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    assert [p.name for p in (out / "mil").glob("*.txt")] == ["Beta.txt"]
    assert (
        main(
            [
                "eval",
                "--dataset",
                "otb",
                "--root",
                str(root),
                "--tracker",
                "mil",
                "--sequences",
                "Delta",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    assert "no sequence 'Delta' in otb" in capsys.readouterr().err
    assert (
        main(["eval", "--dataset", "otb", "--root", str(tmp_path / "nowhere"), "--tracker", "mil", "--out", str(out)])
        == 2
    )
    assert "nowhere: dataset root not found" in capsys.readouterr().err
    assert main(["eval", "--dataset", "otb", "--root", str(root), "--tracker", "nanotrack", "--out", str(out)]) == 2
    assert "nanotrack needs the folder of its ONNX models" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown dataset 'mot17'"):
        get_benchmark("mot17")
