import json
import subprocess
import sys

import dettrack
from dettrack.cli import main
from dettrack.demo import synthetic_clip

from conftest import small_model


def test_synthetic_clip_boxes_match_the_pasted_object():
    frames = list(synthetic_clip(4, size=(120, 200), seed=1))
    assert len(frames) == 4
    for frame, (x, y, w, h) in frames:
        assert frame.shape == (120, 200, 3) and frame.dtype.name == "uint8"
        inside = frame[int(y) : int(y + h), int(x) : int(x + w)].astype(int)
        # the object's two stripe colours are complementary: they sum to 255 per channel
        colours = {tuple(c) for c in inside.reshape(-1, 3)}
        assert len(colours) == 2 and all(a + b == 255 for a, b in zip(*colours))


def test_demo_tracks_and_writes_results(tmp_path, capsys):
    path = tmp_path / "model.pt"
    dettrack.save_checkpoint(small_model(), path)
    assert main(["demo", "--model", str(path), "--frames", "4", "--out", str(tmp_path), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "3 frames in" in printed and "mean IoU" in printed
    rows = json.loads((tmp_path / "tracks.json").read_text())
    assert [r["frame"] for r in rows] == [1, 2, 3]
    assert all(len(r["box"]) == 4 and 0 <= r["iou"] <= 1 for r in rows)


def test_missing_model_is_a_clear_error(tmp_path, capsys):
    assert main(["demo", "--model", str(tmp_path / "none.pt"), "--quiet"]) == 2
    assert "checkpoint not found" in capsys.readouterr().err


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "dettrack.cli", "info"], capture_output=True, text=True, check=True)
    assert "backbones: resnet50_fpn" in out.stdout
