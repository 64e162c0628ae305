"""dettrack report: official metrics on results read back from the official files; tables, plots, errors."""

import csv

import numpy as np
import pytest
from PIL import Image

from dettrack.cli import main
from dettrack.data import read_davis2016
from dettrack.eval.benchmarks import get_benchmark
from dettrack.eval.metrics import davis_scores, otb_scores
from dettrack.eval.report import make_report, tracker_folders

from conftest import shared_path
from fixtures_data import write_lines, write_mask
from test_eval_datasets import (
    labels,
    real_otb_subset,
    write_davis,
    write_got10k,
    write_lasot,
    write_otb,
    write_oxuva,
    write_uav123,
    write_vot_lt,
    write_ytvos,
)
from test_eval_runner import run_oracle


def read_csv(path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_report_of_real_otb_results_matches_the_metrics(tmp_path, capsys):
    root, out, report = real_otb_subset(tmp_path / "otb"), tmp_path / "runs", tmp_path / "report"
    nanotrack = str(shared_path("models", "nanotrack_v2"))
    trackers = ["csrt", "kcf", "nanotrack"]
    assert (
        main(
            [
                "eval",
                "--dataset",
                "otb",
                "--root",
                str(root),
                "--tracker",
                *trackers,
                "--nanotrack",
                nanotrack,
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    assert main(["report", str(out), "--dataset", "otb", "--root", str(root), "--out", str(report)]) == 0
    printed = capsys.readouterr().out
    gt = np.loadtxt(root / "Couple" / "groundtruth_rect.txt")  # the 1-based file, as the OTB toolkit compares it
    rows = {row["tracker"]: row for row in read_csv(report / "summary.csv")}
    assert sorted(rows) == trackers
    for tracker in trackers:
        expected = otb_scores({"Couple": (np.loadtxt(out / tracker / "Couple.txt", delimiter=","), gt)})
        assert float(rows[tracker]["AUC"]) == pytest.approx(expected.success_auc, abs=1e-6)
        assert float(rows[tracker]["Precision"]) == pytest.approx(expected.precision, abs=1e-6)
        assert float(rows[tracker]["FPS"]) > 0
        assert f"| {tracker} | {100 * expected.success_auc:.1f} | {100 * expected.precision:.1f} |" in printed
    markdown = (report / "report.md").read_text()
    assert "| Tracker | AUC (%) | Precision (%) | FPS |" in markdown and "![success](success.png)" in markdown
    per_sequence = read_csv(report / "per_sequence.csv")
    assert {(r["tracker"], r["sequence"]) for r in per_sequence} == {(t, "Couple") for t in trackers}
    for name in ("success.png", "precision.png"):
        with Image.open(report / name) as image:
            assert image.format == "PNG" and image.size[0] > 300


def test_report_on_real_davis_masks_matches_davis_scores(tmp_path):
    source = shared_path("data", "davis2016")
    root = tmp_path / "davis"
    for kind, suffix in (("JPEGImages", "jpg"), ("Annotations", "png")):
        for t in range(6):
            link = root / kind / "480p" / "blackswan" / f"{t:05d}.{suffix}"
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(source / kind / "480p" / "blackswan" / f"{t:05d}.{suffix}")
    assert (
        main(
            [
                "eval",
                "--dataset",
                "davis2016",
                "--root",
                str(root),
                "--tracker",
                "csrt",
                "--out",
                str(tmp_path / "runs"),
                "--quiet",
            ]
        )
        == 0
    )
    report = make_report(get_benchmark("davis2016"), root, [tmp_path / "runs"], tmp_path / "report")
    (seq,) = read_davis2016(root)
    gt = np.stack([seq.mask(t) for t in range(6)])
    pred = np.stack(
        [np.asarray(Image.open(tmp_path / "runs" / "csrt" / "blackswan" / f"{t:05d}.png")) > 0 for t in range(6)]
    )
    expected = davis_scores({"blackswan": (gt[None], pred[None])})
    summary = report.scores[0].summary
    assert 0.3 < summary["J-Mean"] < 1  # CSRT's filled box against a swan's mask
    for key, value in (
        ("J-Mean", expected.j_mean),
        ("F-Mean", expected.f_mean),
        ("J&F", expected.jf_mean),
        ("J-Decay", expected.j_decay),
    ):
        assert summary[key] == pytest.approx(value, abs=1e-12)
    assert report.scores[0].per_sequence["blackswan_1"]["J-Mean"] == pytest.approx(expected.j_mean)


def test_perfect_results_score_perfectly_on_every_box_benchmark(tmp_path):
    cases = [
        ("got10k", write_got10k(tmp_path / "got"), "val", {"AO": 1.0, "SR0.5": 1.0, "SR0.75": 1.0}),
        ("lasot", write_lasot(tmp_path / "lasot"), None, {"AUC": 20 / 21, "Precision": 1.0, "Norm. precision": 1.0}),
        ("uav123", write_uav123(tmp_path / "uav"), None, {"AUC": 20 / 21, "Precision": 1.0}),  # IoU > 1 never holds
        ("oxuva", write_oxuva(tmp_path / "oxuva"), "dev", {"TPR": 1.0, "TNR": 1.0, "GM": 1.0, "MaxGM": 1.0}),
        # frame 0 is the init: visible, no region, no confidence (as in the VOT toolkit): recall 3/4 at best
        ("vot-lt", write_vot_lt(tmp_path / "vot"), None, {"Precision": 1.0, "Recall": 0.75, "F-score": 6 / 7}),
    ]
    for name, root, split, expected in cases:
        folder = run_oracle(tmp_path / name, name, root, split)
        report = make_report(get_benchmark(name), root, [folder], tmp_path / name / "report", split=split)
        for metric, value in expected.items():
            assert report.scores[0].summary[metric] == pytest.approx(value), (name, metric)
        assert {p.suffix for p in report.files} >= {".csv", ".md"}
    assert (tmp_path / "oxuva" / "report" / "operating_points.png").is_file()
    assert (tmp_path / "vot-lt" / "report" / "precision-recall.png").is_file()


def test_youtube_vos_perfect_masks(tmp_path):
    root = write_ytvos(tmp_path / "ytvos")
    folder = run_oracle(tmp_path, "ytvos", root, "train")
    report = make_report(get_benchmark("ytvos"), root, [folder], tmp_path / "report", split="train")
    assert report.scores[0].summary["J&F"] == 1.0 and set(report.scores[0].per_sequence) == {"clip_1", "clip_2"}


def test_davis2017_perfect_masks_and_several_trackers(tmp_path):
    root = write_davis(tmp_path / "davis")
    run_oracle(tmp_path, "davis2017", root, "val")
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
                str(tmp_path / "out"),
                "--quiet",
            ]
        )
        == 0
    )
    report = make_report(get_benchmark("davis2017"), root, [tmp_path / "out"], tmp_path / "report", split="val")
    scores = {s.tracker: s for s in report.scores}
    assert scores["oracle"].summary["J&F"] == 1.0 and scores["oracle"].summary["J-Decay"] == 0.0
    assert set(scores["oracle"].per_sequence) == {"bear_1", "bear_2"}
    assert 0 < scores["csrt"].summary["J&F"] <= 1.0  # the square objects are rectangles: CSRT's boxes fit well
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "| oracle | 100.0 | 100.0 | 100.0 | 0.0 |" in markdown and "| csrt |" in markdown


def test_bad_results_are_named(tmp_path, capsys):
    root = write_otb(tmp_path / "otb")
    folder = run_oracle(tmp_path, "otb", root)
    otb = get_benchmark("otb")

    def fails(match, kind=ValueError, benchmark=otb, data=root):
        with pytest.raises(kind, match=match):
            make_report(benchmark, data, [folder], tmp_path / "report")

    good = (folder / "Alpha.txt").read_text().splitlines()
    write_lines(folder / "Alpha.txt", good[:4])
    fails(r"Alpha\.txt: 4 rows but sequence 'Alpha' has 5 frames")
    write_lines(folder / "Alpha.txt", good[:2] + ["nan,nan,nan,nan"] + good[3:])
    fails(r"Alpha\.txt: predictions in sequence 'Alpha' has NaN at frame 2")
    write_lines(folder / "Alpha.txt", good[:1] + ["1,1,-5,4"] + good[2:])
    fails(r"Alpha\.txt: negative width or height in row 2 \(sequence 'Alpha'\)")
    write_lines(folder / "Alpha.txt", good[:1] + ["1,1,5"] + good[2:])
    fails(r"Alpha\.txt:2: expected 4 numbers x,y,w,h for sequence 'Alpha', got 3")
    write_lines(folder / "Alpha.txt", good)
    (folder / "Gamma.txt").unlink()
    fails(r"Gamma\.txt: results for sequence 'Gamma' not found", FileNotFoundError)
    fails(r"GOT-10k val split not found", FileNotFoundError, get_benchmark("got10k"))  # an OTB folder is no GOT-10k
    assert (
        main(["report", str(tmp_path / "none"), "--dataset", "otb", "--root", str(root), "--out", str(tmp_path / "r")])
        == 2
    )
    assert "none: results folder not found" in capsys.readouterr().err

    davis = write_davis(tmp_path / "davis")
    folder = run_oracle(tmp_path / "d", "davis2017", davis, "val")
    write_mask(folder / "bear" / "00002.png", np.zeros((10, 12), dtype=np.uint8), palette=True)
    with pytest.raises(ValueError, match=r"00002\.png: mask is 12x10 but the frames of video 'bear' are 96x72"):
        make_report(get_benchmark("davis2017"), davis, [folder], tmp_path / "report", split="val")
    write_mask(folder / "bear" / "00002.png", labels(2, 2), palette=True)
    (folder / "bear" / "00003.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"00003\.png: mask results for video 'bear' not found"):
        make_report(get_benchmark("davis2017"), davis, [folder], tmp_path / "report", split="val")


def test_bad_long_term_results_are_named(tmp_path):
    vot = write_vot_lt(tmp_path / "vot")
    folder = run_oracle(tmp_path / "v", "vot-lt", vot)
    regions = folder / "longterm" / "car" / "car_001.txt"
    write_lines(regions, ["1", "1,2,3", "1,2,3,4", "1,2,3,4", "1,2,3,4"])
    with pytest.raises(ValueError, match=r"car_001\.txt:2: expected x,y,w,h or a special code 0/1/2 \(sequence 'car'\)"):
        make_report(get_benchmark("vot-lt"), vot, [folder], tmp_path / "report")
    oxuva = write_oxuva(tmp_path / "oxuva")
    folder = run_oracle(tmp_path / "o", "oxuva", oxuva, "dev")
    (folder / "vid0001_obj0000.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"vid0001_obj0000\.csv: results for sequence 'vid0001/obj0000' not found"):
        make_report(get_benchmark("oxuva"), oxuva, [folder], tmp_path / "report")


def test_tracker_folders_expand_an_eval_output_and_refuse_twins(tmp_path):
    for tracker in ("a", "b"):
        (tmp_path / "runs" / tracker / "sequences").mkdir(parents=True)
    (tmp_path / "other" / "a").mkdir(parents=True)
    assert [f.name for f in tracker_folders([tmp_path / "runs"])] == ["a", "b"]
    assert tracker_folders([tmp_path / "runs" / "b"]) == [tmp_path / "runs" / "b"]
    with pytest.raises(ValueError, match="two results folders are both named 'a'"):
        tracker_folders([tmp_path / "runs", tmp_path / "other" / "a"])
