from collections import OrderedDict

import pytest
import torch

from dettrack.model.attention import reweight, similarity


def _features(b: int, d: int) -> "OrderedDict[str, torch.Tensor]":
    g = torch.Generator().manual_seed(0)
    sizes = {"0": 16, "1": 8, "2": 4, "3": 2, "pool": 1}
    return OrderedDict((k, torch.randn(b, d, s, s + 1, generator=g)) for k, s in sizes.items())


def test_reweight_scales_every_level_by_its_similarity():
    feats = _features(2, 6)
    template = torch.randn(2, 6)
    out, maps = reweight(feats, template)
    assert list(out) == list(feats) == list(maps)  # P6 ('pool') included
    for name, f in feats.items():
        for b in range(2):
            for y in range(f.shape[2]):
                for x in range(f.shape[3]):
                    s = float(f[b, :, y, x] @ template[b])
                    assert maps[name][b, 0, y, x].item() == pytest.approx(s, abs=1e-5)
                    torch.testing.assert_close(out[name][b, :, y, x], f[b, :, y, x] * s)


def test_similarity_is_one_where_the_feature_matches_a_unit_response_template():
    f = torch.randn(1, 4, 3, 3)
    v = f[0, :, 1, 2]
    t = (v / v.pow(2).sum())[None]
    assert similarity(f, t)[0, 0, 1, 2].item() == pytest.approx(1.0, abs=1e-6)


def test_one_pyramid_is_shared_by_many_templates():
    feats = _features(1, 5)
    templates = torch.randn(3, 5)
    out, _ = reweight(feats, templates)
    for k in range(3):
        single, _ = reweight(feats, templates[k : k + 1])
        for name in feats:
            torch.testing.assert_close(out[name][k : k + 1], single[name])


def test_mismatched_inputs_are_named():
    feats = _features(2, 5)
    with pytest.raises(ValueError, match="channels"):
        reweight(feats, torch.randn(2, 4))
    with pytest.raises(ValueError, match="2 feature maps for 3 templates"):
        reweight(feats, torch.randn(3, 5))
    with pytest.raises(ValueError, match=r"\[B, D\]"):
        reweight(feats, torch.randn(5))
