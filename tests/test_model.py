import pytest
import torch
from torchvision.models.detection import maskrcnn_resnet50_fpn

import dettrack
from dettrack.model.attention import reweight
from dettrack.model.weights import load_torchvision_maskrcnn

from conftest import small_model


def _scene(seed: int = 0, size=(200, 260)) -> tuple[torch.Tensor, torch.Tensor]:
    """A noisy background with a bright textured square; returns (image, xyxy box)."""
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(3, *size, generator=g) * 0.3
    x, y = 60 + 10 * seed, 50 + 5 * seed
    img[:, y : y + 60, x : x + 70] = 0.6 + 0.4 * torch.rand(3, 60, 70, generator=g)
    return img, torch.tensor([float(x), float(y), x + 70.0, y + 60.0])


def test_detection_mode_equals_torchvision_maskrcnn():
    kw = dict(min_size=224, max_size=288, box_score_thresh=0.0)
    reference = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, **kw).eval()
    model = dettrack.build_model("resnet50_fpn", **kw)
    load_torchvision_maskrcnn(model, reference.state_dict())
    model.eval()
    image, _ = _scene()
    with torch.no_grad():
        want = reference([image])[0]
        got = model([image])[0]
    assert len(want["boxes"]) > 0
    for key in ("boxes", "labels", "scores", "masks"):
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=1e-5)


def test_coco_weights_map_onto_the_detection_side_and_seed_the_tracking_heads():
    reference = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None)
    model = dettrack.build_model("resnet50_fpn")
    load_torchvision_maskrcnn(model, reference.state_dict())
    ours = model.state_dict()
    for key, value in reference.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        torch.testing.assert_close(ours[key], value, rtol=0, atol=0)
    heads = model.roi_heads
    torch.testing.assert_close(heads.track_box_predictor.cls_score.weight[1], heads.box_predictor.cls_score.weight[1:].mean(0))
    torch.testing.assert_close(
        heads.track_mask_predictor.mask_fcn_logits.weight[0], heads.mask_predictor.mask_fcn_logits.weight[1:].mean(0)
    )
    broken = dict(reference.state_dict())
    broken["rpn.head.conv.0.0.weight"] = broken["rpn.head.conv.0.0.weight"][:10]
    with pytest.raises(ValueError, match="wrong shape"):
        load_torchvision_maskrcnn(model, broken)


def test_tracking_without_attention_is_detection_through_the_tracking_heads():
    """Similarity forced to 1 (no reweighting): the tracking path is RPN + RoI heads with tracking predictors."""
    model = small_model().eval()
    image, box = _scene()
    with torch.no_grad():
        image_list, _ = model.transform([image])
        features = model.backbone(image_list.tensors)
        ones = {k: torch.ones_like(v[:, :1]) for k, v in features.items()}
        untouched = {k: v * ones[k] for k, v in features.items()}
        proposals, _ = model.rpn(image_list, untouched)
        dets, _ = model.roi_heads(untouched, proposals, image_list.image_sizes, tracking=True)
        want = model.transform.postprocess(dets, image_list.image_sizes, [tuple(image.shape[-2:])])[0]
        # the same frame through track_features with a template whose similarity is 1 everywhere
        got = model.track_features(image_list, features, templates=None, original_sizes=[tuple(image.shape[-2:])])[0]
    assert len(want["boxes"]) > 0
    assert (want["labels"] == 1).all() and want["masks"].shape[1] == 1
    for key in ("boxes", "scores", "masks"):
        torch.testing.assert_close(got[key], want[key])


def test_tracking_eval_uses_the_reweighted_pyramid():
    model = small_model().eval()
    image, box = _scene()
    with torch.no_grad():
        template = model.make_template(image, box)
        image_list, _ = model.transform([image])
        features = model.backbone(image_list.tensors)
        weighted, maps = reweight(features, template)
        proposals, _ = model.rpn(image_list, weighted)
        dets, _ = model.roi_heads(weighted, proposals, image_list.image_sizes, tracking=True)
        want = model.transform.postprocess(dets, image_list.image_sizes, [tuple(image.shape[-2:])])[0]
        got = model.track([image], template)[0]
        on_the_fly = model([image], template_images=[image], template_boxes=box[None])[0]
    for key in ("boxes", "scores", "masks"):
        torch.testing.assert_close(got[key], want[key])
        torch.testing.assert_close(on_the_fly[key], want[key])
    assert list(maps) == ["0", "1", "2", "3", "pool"]
    assert got["scores"].shape[0] <= model.roi_heads.track_detections_per_img
    assert (got["scores"][:-1] >= got["scores"][1:]).all()  # ranked


def test_one_backbone_pass_serves_many_templates():
    model = small_model().eval()
    image, _ = _scene()
    boxes = torch.tensor([[60.0, 50.0, 130.0, 110.0], [10.0, 10.0, 50.0, 40.0], [150.0, 120.0, 240.0, 190.0]])
    with torch.no_grad():
        templates = model.make_template([image] * 3, boxes)
        together = model.track([image], templates)
        for k in range(3):
            alone = model.track([image], templates[k : k + 1])[0]
            torch.testing.assert_close(together[k]["boxes"], alone["boxes"], atol=1e-4, rtol=0)
            torch.testing.assert_close(together[k]["scores"], alone["scores"], atol=1e-5, rtol=0)
        # a template made once per frame pair equals one made in a batch
        single = model.make_template(image, boxes[1])
    torch.testing.assert_close(single, templates[1:2], atol=1e-5, rtol=1e-4)


def test_tracking_training_backpropagates_through_the_template():
    model = small_model().train()
    template_image, box = _scene(0)
    search_image, search_box = _scene(1)
    template_image.requires_grad_(True)
    mask = torch.zeros(1, *search_image.shape[-2:], dtype=torch.uint8)
    x1, y1, x2, y2 = search_box.int().tolist()
    mask[:, y1:y2, x1:x2] = 1
    targets = [{"boxes": search_box[None], "labels": torch.tensor([7]), "masks": mask}]
    losses = model([search_image], targets, template_images=[template_image], template_boxes=box[None])
    assert set(losses) == {"loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg", "loss_mask"}
    total = sum(losses.values())
    assert all(torch.isfinite(v) for v in losses.values())
    total.backward()
    # the template frame only reaches the loss through T_d: a gradient there proves the path
    assert template_image.grad is not None and template_image.grad.abs().sum() > 0
    backbone_grads = [p.grad for p in model.backbone.parameters() if p.requires_grad]
    assert all(g is not None for g in backbone_grads) and sum(g.abs().sum() for g in backbone_grads) > 0
    assert model.roi_heads.track_box_predictor.cls_score.weight.grad.abs().sum() > 0
    assert model.roi_heads.track_mask_predictor.mask_fcn_logits.weight.grad.abs().sum() > 0
    assert model.roi_heads.box_predictor.cls_score.weight.grad is None  # detection predictors untouched


def test_mask_loss_only_where_masks_exist():
    model = small_model().train()
    image, box = _scene()
    mask = torch.zeros(1, *image.shape[-2:], dtype=torch.uint8)
    mask[:, 50:110, 60:130] = 1
    with_mask = {"boxes": box[None], "labels": torch.tensor([2]), "masks": mask}
    without = {"boxes": box[None], "labels": torch.tensor([2])}
    torch.manual_seed(0)
    only_boxes = model([image], [without])
    assert only_boxes["loss_mask"].item() == 0.0 and only_boxes["loss_mask"].requires_grad
    torch.manual_seed(0)
    mixed = model([image, image], [without, with_mask])
    torch.manual_seed(0)
    masked = model([image], [with_mask])
    assert mixed["loss_mask"].item() > 0
    assert mixed["loss_mask"].item() == pytest.approx(masked["loss_mask"].item(), rel=0.2)
    # an empty search frame (object absent) is a valid tracking target
    empty = [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}]
    absent = model([image], empty, template_images=[image], template_boxes=box[None])
    assert torch.isfinite(sum(absent.values()))


def test_bad_model_arguments():
    with pytest.raises(ValueError, match="unknown model"):
        dettrack.build_model("yolo")
    with pytest.raises(ValueError, match="only fit resnet50_fpn"):
        dettrack.build_model("mobilenet_v2_fpn", maskrcnn_weights="COCO_V1")
    model = small_model().train()
    image, box = _scene()
    with pytest.raises(ValueError, match="needs targets"):
        model.track([image], torch.zeros(1, 64))
    with pytest.raises(ValueError, match="2 template images for 1 boxes"):
        model.make_template([image, image], box)


def test_max_candidates_keeps_the_top_candidates_and_their_masks():
    torch.manual_seed(3)
    model = small_model(track_detections_per_img=10).eval()
    image = torch.rand(3, 150, 200)
    with torch.inference_mode():
        template = model.make_template(image, torch.tensor([40.0, 30.0, 120.0, 110.0]))
        every = model.track([image], template)[0]
        top = model.track([image], template, max_candidates=1)[0]
    assert len(every["scores"]) > 1 and len(top["scores"]) == 1
    for key in ("boxes", "scores", "masks"):
        torch.testing.assert_close(top[key][0], every[key][0])


def test_jittered_proposals_surround_the_object_inside_the_image():
    from dettrack.model.heads import jitter_boxes

    torch.manual_seed(0)
    gt = torch.tensor([[40.0, 30.0, 80.0, 90.0], [100.0, 100.0, 120.0, 110.0]])
    boxes = jitter_boxes(gt, 200, (128, 160))
    assert 300 < len(boxes) <= 400
    assert boxes[:, 0::2].min() >= 0 and boxes[:, 0::2].max() <= 160 and boxes[:, 1::2].max() <= 128
    first = boxes[: len(boxes) // 2]  # clipping may drop a few, never reorder
    scale = ((first[:, 2:] - first[:, :2]).prod(1) / 2400).sqrt()
    # both loose and tight boxes: the classifier has to learn the difference
    assert scale.min() < 0.6 and scale.max() > 1.6
    assert jitter_boxes(torch.zeros(0, 4), 8, (128, 160)).shape == (0, 4)


def test_tracking_training_with_jittered_proposals():
    model = small_model(track_jitter_proposals=16).train()
    template_image, box = _scene(0)
    search_image, search_box = _scene(1)
    target = [{"boxes": search_box[None], "labels": torch.tensor([1])}]
    torch.manual_seed(0)
    losses = model([search_image], target, template_images=[template_image], template_boxes=box[None])
    assert all(torch.isfinite(v) for v in losses.values()) and losses["loss_classifier"] > 0
    empty = [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}]
    absent = model([search_image], empty, template_images=[template_image], template_boxes=box[None])
    assert torch.isfinite(sum(absent.values()))
    assert model.config["track_jitter_proposals"] == 16


def test_mask_trunk_with_group_norm_round_trips(tmp_path):
    model = dettrack.build_model("mobilenet_v2_fpn", out_channels=32, mask_layers=[32, 16], num_classes=3, mask_norm="group")
    norms = [m for m in model.roi_heads.mask_head.modules() if isinstance(m, torch.nn.GroupNorm)]
    assert [(n.num_groups, n.num_channels) for n in norms] == [(4, 32), (2, 16)]
    dettrack.save_checkpoint(model, tmp_path / "m.pt")
    assert dettrack.load_checkpoint(tmp_path / "m.pt").config["mask_norm"] == "group"
    with pytest.raises(ValueError, match="mask_norm must be None or 'group'"):
        dettrack.build_model("mobilenet_v2_fpn", out_channels=32, mask_norm="batch")
