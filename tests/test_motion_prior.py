"""The motion prior: ranking by position and size change, the size update, and its use by the heads and sessions."""

import numpy as np
import pytest
import torch

from dettrack import open_session
from dettrack.tracking import MotionPrior
from dettrack.commands.settings import parse_settings

from conftest import small_model

PREVIOUS = torch.tensor([100.0, 100.0, 140.0, 160.0])  # 40 x 60


def _box(cx: float, cy: float, w: float, h: float) -> list[float]:
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def test_defaults_keep_the_network_ranking():
    boxes = torch.tensor([_box(120, 130, 40, 60), _box(300, 300, 90, 20)])
    scores = torch.tensor([0.3, 0.9])
    prior = MotionPrior()
    assert not prior.reranks
    assert torch.equal(prior.rank(boxes, scores, PREVIOUS), scores)
    assert prior.follow((100, 100, 40, 60), (0, 0, 80, 10), 0.9) == (0, 0, 80, 10)


def test_window_prefers_the_candidate_near_the_last_box():
    prior = MotionPrior(window_influence=0.4, span=4.0)
    near, far = _box(125, 135, 40, 60), _box(120 + 90, 130, 40, 60)  # far: 90 px = 0.46 span away
    ranks = prior.rank(torch.tensor([near, far]), torch.tensor([0.6, 0.7]), PREVIOUS)
    assert ranks[0] > ranks[1]
    # at the last box's centre the window is 1; at half a span away it is 0
    edge = _box(120 + 0.5 * 4.0 * float(np.sqrt(40 * 60)), 130, 40, 60)
    at = prior.rank(torch.tensor([_box(120, 130, 40, 60), edge]), torch.zeros(2), PREVIOUS)
    assert at.tolist() == pytest.approx([0.4, 0.0], abs=1e-6)


def test_scale_penalty_prefers_the_candidate_of_the_last_size_and_shape():
    prior = MotionPrior(scale_penalty=0.1)
    same, twice, flat = _box(120, 130, 40, 60), _box(120, 130, 80, 120), _box(120, 130, 60, 40)
    ranks = prior.rank(torch.tensor([same, twice, flat]), torch.tensor([0.8, 0.85, 0.85]), PREVIOUS)
    assert ranks.argmax() == 0
    # size twice (x2) -> exp(-0.1 * (2 - 1)); the same box keeps its score
    assert ranks.tolist()[:2] == pytest.approx([0.8, 0.85 * np.exp(-0.1)], rel=1e-5)
    # aspect 3:2 -> 2:3 is a change of 2.25 at the same area
    assert ranks[2].item() == pytest.approx(0.85 * np.exp(-0.1 * 1.25), rel=1e-5)


def test_size_follows_the_winner_at_a_rate_set_by_its_score():
    prior = MotionPrior(size_rate=0.5)
    x, y, w, h = prior.follow((0, 0, 40, 60), (200, 100, 80, 120), score=1.0)
    assert (w, h) == pytest.approx((60, 90))
    assert (x + w / 2, y + h / 2) == pytest.approx((240, 160))  # the winner's centre
    assert prior.follow((0, 0, 40, 60), (200, 100, 80, 120), score=0.0)[2:] == pytest.approx((40, 60))


@pytest.mark.parametrize("bad", [dict(window_influence=1.5), dict(size_rate=-0.1), dict(scale_penalty=-1), dict(span=0)])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError):
        MotionPrior(**bad)


def test_sessions_take_the_prior_from_settings_and_model_defaults():
    model = small_model()
    model.tracking_defaults = {**model.tracking_defaults, "window_influence": 0.3, "size_rate": 0.5}
    settings = open_session(model, scale_penalty=0.2, context=3.0).settings
    assert (settings.window_influence, settings.scale_penalty, settings.size_rate, settings.context) == (0.3, 0.2, 0.5, 3.0)
    settings = open_session(small_model()).settings  # the paper's stateless tracker: no prior
    assert (settings.window_influence, settings.scale_penalty, settings.size_rate) == (0.0, 0.0, 1.0)
    assert parse_settings(["window_influence=0.4", "search_size=192"]) == {"window_influence": 0.4, "search_size": 192}
    with pytest.raises(ValueError, match="search_region"):  # MultiTracker's older name: read from old checkpoints only
        parse_settings(["search_region=192"])
    with pytest.raises(ValueError, match="window_size"):
        parse_settings(["window_size=1"])
