"""The template's class profile: the ranking reads the COCO classes the object resembles, not the largest one."""

import pytest
import torch

from dettrack.model.light import LightDetTrack
from dettrack.model.light.nanodet import NUM_CLASSES
from dettrack.tracking.inputs import frame_to_tensor

ANIMALS = range(14, 24)  # COCO's detector classes bird .. giraffe


def _template(light, camel, temperature):
    frames, boxes = camel
    x, y, w, h = boxes[0]
    side = round(max(w, h) * 4)
    window = (round(x + w / 2 - side / 2), round(y + h / 2 - side / 2), side)
    light.class_profile = temperature
    with torch.inference_mode():
        encoded = light.encode(frame_to_tensor(frames[0]), [window], 320)
        return encoded, light.make_template(encoded, torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32))


def test_the_camels_profile_is_an_animals_and_sharpens_with_a_lower_temperature(light, camel):
    try:
        _, soft = _template(light, camel, 1.0)
        _, sharp = _template(light, camel, 0.25)
    finally:
        light.class_profile = 0.5
    soft, sharp = light.layout.part(soft, "profile")[0], light.layout.part(sharp, "profile")[0]
    assert soft.sum().item() == pytest.approx(1.0, abs=1e-5) and sharp.sum().item() == pytest.approx(1.0, abs=1e-5)
    assert int(soft.argmax()) in ANIMALS
    assert int(sharp.argmax()) == int(soft.argmax()) and sharp.max() > soft.max()


def test_the_profile_changes_the_ranking_but_not_the_presence(light, camel):
    frames, boxes = camel
    try:
        encoded, with_profile = _template(light, camel, 0.5)
        with torch.inference_mode():
            ranked = light.candidates(encoded, with_profile, top_k=1000)[0]
        _, without = _template(light, camel, 0.0)
        with torch.inference_mode():
            plain = light.candidates(encoded, without, top_k=1000)[0]
    finally:
        light.class_profile = 0.5
    assert with_profile.shape[1] == without.shape[1] + NUM_CLASSES
    # every cell of the crop, both ways: the same presence values (largest class probability), other scores
    assert len(ranked.scores) == len(plain.scores) < 1000
    assert torch.allclose(ranked.presence.sort().values, plain.presence.sort().values, atol=1e-6)
    assert (ranked.scores.sort().values - plain.scores.sort().values).abs().max() > 0.01
    x, y, w, h = boxes[0]
    truth = torch.tensor([x, y, x + w, y + h])
    assert (ranked.boxes[0] - truth).abs().max() < 0.25 * max(w, h)  # still on the camel


def test_a_negative_temperature_is_refused():
    with pytest.raises(ValueError, match="class_profile"):
        LightDetTrack(class_profile=-1.0)
