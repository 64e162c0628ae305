"""The dettrack command end to end, on real data from ../shared/data and on written fixtures."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

import dettrack
from dettrack.cli import main
from dettrack.video import FrameSource, VideoWriter

from conftest import shared_path, small_model


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "small.pt"
    dettrack.save_checkpoint(small_model(), path)
    return str(path)


def _read_lines(path):
    return [line.split(",") for line in path.read_text().splitlines()]


def test_track_an_otb_sequence_folder(model_file, tmp_path):
    folder = shared_path("data", "otb", "Couple", "img")
    out = tmp_path / "out"
    code = main(["track", str(folder), "--box", "51,47,25,62", "--end", "5", "--model", model_file, "--out", str(out), "--quiet"])
    assert code == 0
    boxes = _read_lines(out / "0" / "boxes.txt")
    assert len(boxes) == 5 and boxes[0] == ["51.00", "47.00", "25.00", "62.00"]
    scores = (out / "0" / "scores.txt").read_text().split()
    assert len(scores) == 5 and float(scores[0]) == 1.0
    present = (out / "0" / "present.txt").read_text().split()
    assert len(present) == 5 and present[0] == "1" and set(present) <= {"0", "1"}
    rows = json.loads((out / "tracks.json").read_text())
    assert [r["frame"] for r in rows] == [0, 1, 2, 3, 4]
    for row, line, score, flag in zip(rows[1:], boxes[1:], scores[1:], present[1:]):
        (obj,) = row["objects"]
        assert obj["id"] == 0 and obj["score"] == pytest.approx(float(score), abs=1e-4)
        assert obj["present"] == (flag == "1")
        assert [float(v) for v in line] == pytest.approx(obj["box"], abs=0.01)  # the best guess, present or not
    masks = sorted((out / "masks").iterdir())
    assert [m.name for m in masks] == [f"{i:05d}.png" for i in range(5)]
    first = np.asarray(Image.open(masks[0]))
    assert first[47:109, 51:76].any() and not first[:47].any() and not first[:, 76:].any()  # inside the given box
    png = Image.open(masks[2])
    assert png.mode == "P" and png.size == (320, 240) and set(np.unique(np.asarray(png))) <= {0, 1}
    assert sum(1 for _ in FrameSource(out / "overlay.mp4")) == 5
    assert not list(out.rglob("*.partial"))


def test_many_objects_from_a_boxes_file_starting_late(model_file, tmp_path):
    folder = shared_path("data", "davis2016", "JPEGImages", "480p", "blackswan")
    spec = tmp_path / "boxes.csv"
    spec.write_text("id,frame,x,y,w,h\nswan,0,390,140,260,160\nrock,2,50,300,120,90\n")
    out = tmp_path / "out"
    assert main(["track", str(folder), "--boxes", str(spec), "--end", "4", "--model", model_file, "--out", str(out), "--quiet", "--no-overlay"]) == 0
    assert len(_read_lines(out / "swan" / "boxes.txt")) == 4
    assert len(_read_lines(out / "rock" / "boxes.txt")) == 2  # frames 2 and 3
    rows = json.loads((out / "tracks.json").read_text())
    assert [sorted(o["id"] for o in r["objects"]) for r in rows] == [["swan"], ["swan"], ["rock", "swan"], ["rock", "swan"]]
    assert not (out / "overlay.mp4").exists()


def test_demo_writes_overlay_and_score_plot(model_file, tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--model", model_file, "--frames", "3", "--out", str(out), "--quiet"]) == 0
    assert Image.open(out / "scores.png").size[0] > 100
    assert sum(1 for _ in FrameSource(out / "overlay.mp4")) == 3
    first = json.loads((out / "tracks.json").read_text())[0]
    assert first["objects"][0]["box"] == [235, 255, 290, 305]


def _folder(tmp_path, images):
    folder = tmp_path / "frames"
    folder.mkdir()
    for name, array, mode in images:
        Image.fromarray(array).save(folder / name)
    return folder


def test_folders_sort_naturally_and_convert_gray_and_rgba(tmp_path):
    rgb = np.full((40, 60, 3), 100, np.uint8)
    folder = _folder(tmp_path, [("10.png", rgb, "RGB"), ("2.png", rgb[..., 0], "L"), ("1.png", np.dstack([rgb, rgb[..., :1]]), "RGBA")])
    source = FrameSource(folder)
    assert [p.name for p in source.files] == ["1.png", "2.png", "10.png"]
    frames = list(source)
    assert all(f.shape == (40, 60, 3) and f.dtype == np.uint8 for f in frames)
    assert [f.shape for f in FrameSource(folder / "2.png")] == [(40, 60, 3)]


def test_folders_of_mixed_sizes_are_refused_unless_asked(tmp_path):
    folder = _folder(tmp_path, [("1.png", np.zeros((40, 60, 3), np.uint8), "RGB"), ("2.png", np.zeros((30, 20, 3), np.uint8), "RGB")])
    with pytest.raises(ValueError, match="frame 1 is 20x30 but earlier frames are 60x40"):
        list(FrameSource(folder))
    assert [f.shape[:2] for f in FrameSource(folder, same_size=False)] == [(40, 60), (30, 20)]
    assert [f.shape[:2] for f in FrameSource(folder, start=1, same_size=False)] == [(30, 20)]


@pytest.mark.parametrize(
    "argv_tail, message",
    [
        (["--box", "1,2,3"], "expected four numbers"),
        (["--box", "a,b,c,d"], "expected four numbers"),
        (["--box", "500,500,10,10"], "wholly outside"),
        (["--box", "5,5,0,10"], "must be positive"),
        (["--box", "5,5,-4,10"], "must be positive"),
        (["--box", "5,5,10,10", "--box", "5,5,10,nan"], "box of object 1: contains NaN"),
        (["--box", "5,5,10,10", "--init-frame", "3", "--end", "2"], "an object starts at frame 3, not before --end 2"),
        ([], "no object to track"),
    ],
)
def test_bad_boxes_exit_2_before_writing_anything(model_file, tmp_path, capsys, argv_tail, message):
    folder = _folder(tmp_path, [("1.png", np.zeros((40, 60, 3), np.uint8), "RGB"), ("2.png", np.zeros((40, 60, 3), np.uint8), "RGB")])
    assert main(["track", str(folder), "--model", model_file, "--out", str(tmp_path / "o"), "--quiet", *argv_tail]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "spec, argv_tail, message",
    [
        ("id,frame,x,y,w,h\n1,0,5,5,10,10\n", ["--box", "5,5,10,10", "--box", "20,5,10,10"], "object 1 is given by both --box and --boxes"),  # CSV's '1' is --box's 1
        ('[{"id": 1, "box": [5, 5, 10, 10]}, {"id": "1", "box": [20, 5, 10, 10]}]', [], "item 1: object 1 is given twice"),
        ('[{"id": "a", "box": [5, 5, 10, 10]}]', ["--box", "20,5,10,10"], "object ids must be all numbers or all names: 'a' beside number id 0"),
        ('[{"id": "a", "box": [5, 5, 10, 10]}]', ["--classes", "person"], "'a' beside --classes (its tracks are numbered)"),
    ],
)
def test_ids_that_would_share_an_output_exit_2_before_writing_anything(model_file, tmp_path, capsys, spec, argv_tail, message):
    folder = _folder(tmp_path, [("1.png", np.zeros((40, 60, 3), np.uint8), "RGB"), ("2.png", np.zeros((40, 60, 3), np.uint8), "RGB")])
    path = tmp_path / ("boxes.csv" if spec.startswith("id,") else "boxes.json")
    path.write_text(spec)
    assert main(["track", str(folder), "--boxes", str(path), "--model", model_file, "--out", str(tmp_path / "o"), "--quiet", *argv_tail]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_late_object_outside_the_frame_fails_before_writing(model_file, tmp_path, capsys):
    folder = _folder(tmp_path, [(f"{i}.png", np.zeros((40, 60, 3), np.uint8), "RGB") for i in range(3)])
    spec = tmp_path / "boxes.json"
    spec.write_text(json.dumps([{"id": "a", "frame": 0, "box": [5, 5, 10, 10]}, {"id": "b", "frame": 2, "box": [70, 5, 10, 10]}]))
    assert main(["track", str(folder), "--boxes", str(spec), "--model", model_file, "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "box of object 'b': (70, 5, 10, 10) lies wholly outside the 60x40 frame" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_box_partly_outside_is_clipped_with_a_warning(model_file, tmp_path, capsys):
    folder = _folder(tmp_path, [(f"{i}.png", np.zeros((40, 60, 3), np.uint8), "RGB") for i in range(2)])
    out = tmp_path / "o"
    assert main(["track", str(folder), "--box", "30,-10,50,40", "--model", model_file, "--out", str(out), "--quiet"]) == 0
    assert "reaches outside the 60x40 frame; tracking its part inside: 30, 0, 30, 30" in capsys.readouterr().err
    assert _read_lines(out / "0" / "boxes.txt")[0] == ["30.00", "0.00", "30.00", "30.00"]


def test_bad_inputs_are_named(model_file, tmp_path, capsys):
    base = ["--box", "5,5,10,10", "--model", model_file, "--out", str(tmp_path / "o"), "--quiet"]
    assert main(["track", str(tmp_path / "missing.mp4"), *base]) != 0
    assert "missing.mp4: no such file" in capsys.readouterr().err
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x01 not a video" * 100)
    assert main(["track", str(corrupt), *base]) != 0
    assert "corrupt.mp4: not a readable video" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["track", str(empty), *base]) != 0
    assert "holds no images" in capsys.readouterr().err
    deep = _folder(tmp_path, [("1.png", np.zeros((40, 60), np.uint16), None)])
    assert main(["track", str(deep), *base]) != 0
    assert "1.png: I;16 (16-bit) image" in capsys.readouterr().err


def test_a_size_change_mid_stream_keeps_the_complete_outputs(model_file, tmp_path, capsys):
    rng = np.random.default_rng(0)
    frames = [("1.png", rng.integers(0, 255, (40, 60, 3), dtype=np.uint8), "RGB")] * 3
    frames = [(f"{i}.png", a, m) for i, (_, a, m) in enumerate(frames, 1)] + [("4.png", np.zeros((50, 60, 3), np.uint8), "RGB")]
    folder = _folder(tmp_path, frames)
    out = tmp_path / "o"
    assert main(["track", str(folder), "--box", "5,5,20,20", "--model", model_file, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "frame 3 is 60x50 but earlier frames are 60x40" in err and "covering frames 0-2" in err
    assert len(_read_lines(out / "0" / "boxes.txt")) == 3
    assert len(json.loads((out / "tracks.json").read_text())) == 3
    assert sum(1 for _ in FrameSource(out / "overlay.mp4")) == 3


def test_video_files_round_trip_and_zero_frame_videos_are_refused(tmp_path):
    path = tmp_path / "clip.mp4"
    colours = np.zeros((48, 64, 3), np.uint8)
    colours[:, :20, 0], colours[:, 20:40, 1], colours[:, 40:, 2] = 200, 150, 100  # red, green and blue bands
    with VideoWriter(path, fps=10) as writer:
        for t in range(4):
            writer.write(np.full((48, 64, 3), 40 * t, np.uint8))
        writer.write(colours)
    frames = list(FrameSource(path, start=1, end=3))
    assert len(frames) == 2 and frames[0].shape == (48, 64, 3)
    assert abs(int(frames[1].mean()) - 80) < 6
    decoded = list(FrameSource(path, start=4))[0].astype(int)
    for band, channel, value in ((slice(4, 16), 0, 200), (slice(24, 36), 1, 150), (slice(44, 60), 2, 100)):
        assert abs(decoded[8:40, band, channel].mean() - value) < 8  # the colours, not only the brightness, come back
    with pytest.raises(ValueError, match="no frames were written"):
        VideoWriter(tmp_path / "none.mp4").close()
    assert not list(tmp_path.glob("*.partial")) and not (tmp_path / "none.mp4").exists()
    with pytest.raises(ValueError, match="no frames in the range"):
        list(FrameSource(path, start=10))


def _cut_video(path, frames: int, keep: float, codec: str = "mpeg4", **options) -> None:
    """A video whose container counts its `frames` noise frames, cut to the first `keep` of its bytes."""
    import av

    rng = np.random.default_rng(0)
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), format="rgb24")))
        container.mux(stream.encode())
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])


def test_a_video_cut_short_is_tracked_to_its_end_with_a_warning(model_file, tmp_path, capsys):
    clip = tmp_path / "cut.avi"
    _cut_video(clip, 40, 0.5)
    source = FrameSource(clip)
    assert source.count == 40
    with pytest.warns(UserWarning, match="its container announced 40 frames"):
        read = sum(1 for _ in source)
    assert 5 < read < 40 and f"ended after frame {read - 1}" in source.ended_early
    out = tmp_path / "o"
    assert main(["track", str(clip), "--box", "5,5,20,20", "--model", model_file, "--out", str(out), "--quiet", "--no-overlay"]) == 0
    assert f"dettrack track: warning: {clip}: the video ended after frame {read - 1}" in capsys.readouterr().err
    assert len(_read_lines(out / "0" / "boxes.txt")) == read


def test_a_matroska_cut_short_is_held_to_its_duration(tmp_path):
    clip = tmp_path / "cut.mkv"
    _cut_video(clip, 40, 1.0)  # Matroska announces no frame count, only its duration (4 s at 10 fps)
    whole = FrameSource(clip)
    assert whole.count is None and whole.expected == 40
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sum(1 for _ in whole) == 40 and whole.ended_early is None
    _cut_video(clip, 40, 0.5)
    source = FrameSource(clip)
    with pytest.warns(UserWarning, match=r"cut.mkv: the video ended after frame \d+, but its duration \(4.0 s at 10 fps\) implies about 40 frames; the file may be cut short"):
        read = sum(1 for _ in source)
    assert 5 < read < 40


def test_a_video_that_breaks_off_mid_frame_names_where(tmp_path):
    clip = tmp_path / "cut.mp4"
    _cut_video(clip, 40, 0.5, "libx264", movflags="faststart")  # the frame index first, so the cut file still opens
    with pytest.raises(ValueError, match=r"cut.mp4: the video is damaged or cut short after frame \d+ \(its container announced 40 frames\)"):
        list(FrameSource(clip))


def test_an_mp4_cut_before_its_frame_index_is_called_cut_short(tmp_path):
    clip = tmp_path / "cut.mp4"
    _cut_video(clip, 40, 0.5, "libx264")  # the frame index at the end: the cut file does not open
    with pytest.raises(ValueError, match=r"cut.mp4: not a readable video: it looks cut short or damaged \(FFmpeg: [A-Z]") as raised:
        FrameSource(clip)
    assert "Errno" not in str(raised.value)


def test_help_lists_every_command_and_the_default_outputs(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "export" in capsys.readouterr().out.split("positional arguments")[0]
    with pytest.raises(SystemExit):
        main(["track", "--help"])
    assert "(default: dettrack_out)" in " ".join(capsys.readouterr().out.split())


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "dettrack.cli", "info"], capture_output=True, text=True, check=True)
    assert "backbones: resnet50_fpn" in out.stdout


def test_export_stores_fp16_weights_and_tracking_defaults(model_file, tmp_path, capsys):
    out = tmp_path / "shipped.pt"
    argv = ["export", str(model_file), str(out), "--half", "--tracking", "full_frame=false", "--tracking", "search_size=128", "--quiet"]
    assert main(argv) == 0
    raw = torch.load(out, weights_only=True)
    # stored checked and complete
    assert raw["tracking"] == dettrack.TrackingSettings.from_mapping(small_model().tracking_defaults).updated(full_frame=False, search_size=128).to_dict()
    assert raw["state_dict"]["rpn.head.conv.0.0.weight"].dtype == torch.float16
    assert dettrack.load_checkpoint(out).tracking_defaults == raw["tracking"]
    assert main(["export", str(model_file), str(tmp_path / "bad.pt"), "--tracking", "speed=11"]) == 2
    assert main(["export", str(model_file), str(tmp_path / "bad.pt"), "--tracking", "search_skip_levels=1"]) == 2  # MultiTracker's: old checkpoints only
    folder = shared_path("data", "otb", "Couple", "img")
    assert main(["track", str(folder), "--box", "1,1,5,5", "--model", str(model_file), "--tracking", "speed=11"]) == 2
    assert "--tracking 'speed=11'" in capsys.readouterr().err
    assert not (tmp_path / "bad.pt").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["track", "missing.mp4", "--box", "1,2,3,4"], "missing.mp4: no such file or folder"),
        (["track", "missing.mp4", "--box", "1,2,3"], "expected four numbers"),
        (["track", "missing.mp4", "--box", "1,2,3,4", "--tracking", "presence_threshold=2"], "presence_threshold must be a number in [0, 1]"),
        (["detect", "missing.jpg"], "missing.jpg"),
        (["eval", "--dataset", "otb", "--root", "nowhere"], "nowhere: dataset root not found"),
        (["train", "--config", "missing.yaml"], "missing.yaml"),
        (["export", "missing.pt", "out.pt"], "missing.pt: checkpoint not found"),
    ],
)
def test_bad_input_is_reported_before_torch_is_imported(tmp_path, argv, message):
    """The command line checks what needs no model first: a mistyped path gets its message at once."""
    probe = f"import sys; from dettrack.cli import main; code = main({argv!r}); print(code, 'torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["2", "False"], (done.stdout, done.stderr)
    assert message in done.stderr


def test_import_dettrack_waits_for_torch_until_a_model_is_needed():
    probe = "import sys, dettrack; before = 'torch' in sys.modules; dettrack.TrackingSettings(); mid = 'torch' in sys.modules; dettrack.Tracker; print(before, mid, 'torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "False", "True"], done.stderr


def test_ctrl_c_keeps_the_outputs_complete_up_to_the_last_frame(model_file, tmp_path, capsys):
    from dettrack.commands.track import write_tracks

    rng = np.random.default_rng(1)
    folder = _folder(tmp_path, [(f"{i}.png", rng.integers(0, 255, (40, 60, 3), dtype=np.uint8), "RGB") for i in range(8)])
    out = tmp_path / "o"

    def interrupt_at_frame_4(frame, results, names):
        if frame == 4:
            raise KeyboardInterrupt

    model = dettrack.load_model(model_file)
    with pytest.raises(KeyboardInterrupt, match=r"kept \d+ output file\(s\) covering frames 0-4 in "):
        write_tracks(model, FrameSource(folder), {0: {"car": (5, 5, 20, 20)}}, out, {}, progress=interrupt_at_frame_4)
    assert len(_read_lines(out / "car" / "boxes.txt")) == 5
    assert len(json.loads((out / "tracks.json").read_text())) == 5
    assert sum(1 for _ in FrameSource(out / "overlay.mp4")) == 5 and len(list((out / "masks").glob("*.png"))) == 5
    assert not list(out.rglob("*.partial"))
