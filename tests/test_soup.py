"""`dettrack export --average`: a uniform soup of runs of one recipe."""

import torch

import dettrack
from dettrack.cli import main

from conftest import small_model


def _run(tmp_path, name, seed, start=None, **options):
    """A checkpoint as a fine-tuning run leaves it: `start`'s weights (if given) moved a little by `seed`."""
    model = small_model(**options)
    if start is not None:
        model.load_state_dict(start)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for value in model.state_dict().values():
            if value.is_floating_point():
                scale = float(value.std()) if value.numel() > 1 and float(value.std()) > 0 else 0.01
                value.add_(0.1 * scale * torch.randn(value.shape, generator=generator))
            else:
                value.fill_(seed)  # batch counters
    path = tmp_path / name
    dettrack.save_checkpoint(model, path)
    return path, {k: v.clone() for k, v in model.state_dict().items()}


def test_the_soup_holds_the_mean_of_the_runs_weights_and_runs(tmp_path):
    start = small_model().state_dict()
    a_path, a = _run(tmp_path, "a.pt", 1, start)
    b_path, b = _run(tmp_path, "b.pt", 2, start)
    c_path, c = _run(tmp_path, "c.pt", 3, start)
    out = tmp_path / "soup.pt"
    assert main(["export", str(a_path), str(out), "--average", str(b_path), "--average", str(c_path), "--quiet"]) == 0
    raw = torch.load(out, weights_only=True)
    assert raw["extra"]["exported_from"] == ["a.pt", "b.pt", "c.pt"]
    differing = 0
    for key, value in raw["state_dict"].items():
        if value.is_floating_point():
            mean = (a[key].double() + b[key].double() + c[key].double()) / 3
            assert torch.allclose(value.double(), mean, atol=1e-6), key
            differing += not torch.equal(a[key], b[key])
        else:
            assert torch.equal(value, a[key]), key  # batch counters are the first run's
    assert differing > 10
    soup = dettrack.load_checkpoint(out)
    image = torch.rand(3, 160, 200)
    with torch.inference_mode():
        detections = soup([image])[0]
    assert set(detections) >= {"boxes", "scores", "labels"}


def test_runs_of_another_architecture_are_refused_by_name(tmp_path, capsys):
    a_path, _ = _run(tmp_path, "a.pt", 1)
    b_path, _ = _run(tmp_path, "narrow.pt", 2, out_channels=32)
    out = tmp_path / "soup.pt"
    assert main(["export", str(a_path), str(out), "--average", str(b_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot average" in err and "narrow.pt" in err and "out_channels" in err
    assert not out.exists()


def test_a_part_each_run_initialised_at_random_is_kept_from_the_first(tmp_path, capsys):
    start = small_model().state_dict()
    a_path, a = _run(tmp_path, "a.pt", 1, start)
    fresh = {k: v for k, v in small_model().state_dict().items() if k.startswith("roi_heads.")}  # another seed's init
    assert fresh and all(k in start for k in fresh)
    b_path, b = _run(tmp_path, "b.pt", 2, {**start, **fresh})
    out = tmp_path / "soup.pt"
    assert main(["export", str(a_path), str(out), "--average", str(b_path)]) == 0
    assert "roi_heads shares no start" in capsys.readouterr().err
    soup = torch.load(out, weights_only=True)["state_dict"]
    for key, value in soup.items():
        if key.startswith("roi_heads."):
            assert torch.equal(value, a[key]), key
        elif value.is_floating_point():
            assert torch.allclose(value.double(), (a[key].double() + b[key].double()) / 2, atol=1e-6), key
