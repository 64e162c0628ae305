"""An object's answer on its own first frame comes from the session: the CLI and the API give the same rows."""

import json

import numpy as np
import pytest
from PIL import Image

import dettrack
from dettrack.cli import main

from conftest import shared_path

SWAN = shared_path("data", "davis2016", "JPEGImages", "480p", "blackswan")
BOX = (127.0, 73.0, 383.0, 312.0)


@pytest.fixture(scope="module")
def model():
    return dettrack.load_model("pretrained")


def test_the_first_frame_answer_is_the_given_box_with_its_mask(model):
    frames = list(dettrack.FrameSource(str(SWAN), end=3))
    first = dettrack.Tracker(model).init(frames[0], BOX)
    assert first.box == BOX and first.score == 1.0 and first.present
    x, y, w, h = (int(v) for v in BOX)
    inside = first.mask[y : y + h, x : x + w].sum()
    assert first.mask.shape == frames[0].shape[:2] and inside > 0.3 * w * h  # the swan, segmented in its box
    assert inside > 0.95 * first.mask.sum()
    session = dettrack.open_session(model, masks=False)
    rows = list(session.track(frames, {0: {"swan": BOX}, 2: {"head": (415, 72, 82, 60)}}))
    assert rows[0][1]["swan"].box == BOX and rows[0][1]["swan"].mask is None  # masks off: none on the first frame either
    assert set(rows[1][1]) == {"swan"} and set(rows[2][1]) == {"swan", "head"} and rows[2][1]["head"].score == 1.0


def test_the_cli_writes_the_sessions_rows(model, tmp_path):
    out = tmp_path / "run"
    assert main(["track", str(SWAN), "--box", ",".join(f"{v:g}" for v in BOX), "--end", "4", "--out", str(out), "--no-overlay", "--quiet"]) == 0
    written = json.loads((out / "tracks.json").read_text())
    session = dettrack.open_session(model)
    api = [results for _, results in session.track(dettrack.FrameSource(str(SWAN), end=4), {0: {0: BOX}})]
    assert len(written) == len(api) == 4
    for row, results in zip(written, api):
        (obj,) = row["objects"]
        assert obj["box"] == pytest.approx(list(results[0].box), abs=0.01) and obj["score"] == pytest.approx(results[0].score, abs=1e-3)
        assert obj["present"] == results[0].present
    painted = np.asarray(Image.open(out / "masks" / "00000.png"))
    assert ((painted == 1) == api[0][0].mask).mean() > 0.999  # the first frame's mask is the session's
