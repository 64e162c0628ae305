"""dettrack paper: the paper's protocols end to end on fixture datasets with a tiny random model."""

import re

import pytest
import torch

import dettrack
from dettrack.cli import main
from dettrack.eval.benchmarks import get_benchmark, load_sequences
from dettrack.eval.coco import coco_map
from dettrack.eval.paper import TABLES, run_paper
from dettrack.eval.scoring import score_results

from conftest import small_model
from test_eval_datasets import one_thread  # noqa: F401  (a fixture)
from test_eval_datasets import write_coco, write_davis, write_got10k, write_oxuva, write_vot_lt


@pytest.mark.usefixtures("one_thread")
def test_paper_tables_on_fixtures_with_a_tiny_model(tmp_path, capsys):
    model_path = tmp_path / "tiny.pt"
    dettrack.save_checkpoint(small_model(min_size=96, max_size=128, rpn_post_nms_top_n_test=20), model_path)
    roots = {
        "oxuva": write_oxuva(tmp_path / "oxuva", frames=4),
        "got10k": write_got10k(tmp_path / "got10k", names=("GOT-10k_Val_000001",), frames=4, absent=()),
        "vot-lt": write_vot_lt(tmp_path / "vot", names=("car",), frames=4),
        "davis2017": write_davis(tmp_path / "davis", frames=4),
    }
    annotations, images = write_coco(tmp_path / "coco")
    out = tmp_path / "paper"
    args = ["paper", "--model", str(model_path), "--out", str(out), "--device", "cpu", "--quiet"]
    args += [f"--{name}={root}" for name, root in roots.items()]
    assert main(args + ["--coco-annotations", str(annotations), "--coco-images", str(images)]) == 0
    text = capsys.readouterr().out
    assert text.strip() == (out / "paper.md").read_text().strip()
    for table in TABLES:
        assert f"### {table.title} (" in text
        for variant, published in table.published.items():
            assert f"| paper, {variant} | " + " | ".join(f"{published[m]:.1f}" for m in table.metrics) + " |" in text
        benchmark = get_benchmark(table.benchmark)
        sequences = load_sequences(benchmark, roots[table.benchmark], table.split)
        for variant, tracker in (("w/o temporal", "dettrack"), ("full", "dettrack-temporal")):
            summary = score_results(
                benchmark, sequences, out / table.benchmark / tracker, roots[table.benchmark], table.split
            ).summary
            cells = " | ".join(f"{100 * summary[m]:.1f}" for m in table.metrics).replace("nan", "-")
            assert f"| this model, {variant} | {cells} |" in text
    assert re.search(r"\| this model \(2 images\) \| \d+\.\d \|", text)
    assert "| paper, joint model | 30.5 |" in text and "| paper, standalone detector | 34.4 |" in text


def test_paper_needs_data(tmp_path, capsys):
    assert main(["paper", "--model", "mobilenet_v2_fpn", "--out", str(tmp_path), "--device", "cpu"]) == 2
    assert "give at least one dataset" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no paper table for lasot"):
        run_paper(None, {"lasot": tmp_path}, tmp_path)
    assert main(["paper", "--coco-annotations", "x.json", "--out", str(tmp_path), "--device", "cpu"]) == 2
    assert "COCO needs both --coco-annotations and --coco-images" in capsys.readouterr().err


class BrightThings(torch.nn.Module):
    """A stand-in detector: one detection, class 1, covering the bright pixels (the fixture's square)."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, images):
        mask = (images[0] > 100 / 255).all(dim=0)
        ys, xs = torch.nonzero(mask, as_tuple=True)
        box = torch.stack([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]).float()[None]
        return [{"boxes": box, "labels": torch.tensor([1]), "scores": torch.tensor([0.9]), "masks": mask[None, None].float()}]


def test_coco_map_of_exact_detections_is_one(tmp_path):
    annotations, images = write_coco(tmp_path / "coco", images=3)
    scores = coco_map(BrightThings(), annotations, images)
    assert scores["images"] == 3 and scores["mask mAP"] > 0.95 and scores["box mAP"] > 0.95
    assert coco_map(BrightThings(), annotations, images, limit=1)["images"] == 1
