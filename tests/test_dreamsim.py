"""DreamSim through the real dreamsim package, on a random-weights checkpoint directory
in the package's exact layout (its pretrained checkpoints cannot be downloaded here)."""

import numpy as np
import pytest

from superposition.metrics import METRICS, build_metric

pytest.importorskip("dreamsim", reason="the optional dreamsim package is not installed")

VARIANT = "open_clip_vitb32"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """open_clip_vitb32_pretrain.pth.tar (a ViT-B/32 in DINO layout plus its projection)
    and a LoRA adapter, both random, where dreamsim 0.2.1 looks for them."""
    import torch
    from dreamsim.config import dreamsim_args
    from dreamsim.feature_extraction.vision_transformer import vit_base
    from dreamsim.model import PerceptualModel
    from peft import LoraConfig, get_peft_model

    path = tmp_path_factory.mktemp("dreamsim")
    torch.manual_seed(0)
    vit = vit_base(patch_size=32)
    vit.pos_drop = torch.nn.LayerNorm(vit.embed_dim)
    state = vit.state_dict() | {"proj": torch.randn(768, 512) / 768**0.5}
    torch.save({"state_dict": state}, path / f"{VARIANT}_pretrain.pth.tar")
    model = PerceptualModel(**dreamsim_args["model_config"][VARIANT], device="cpu",
                            load_dir=str(path), normalize_embeds=True)
    lora = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, bias="none",
                                            target_modules=["qkv"]))
    for name, p in lora.named_parameters():
        if "lora_B" in name:  # peft starts B at zero; make the adapter matter
            torch.nn.init.normal_(p, std=0.02)
    lora.save_pretrained(str(path / f"{VARIANT}_single_lora"))
    return path


def test_dreamsim_distances_are_the_package_s_own(cache, rng):
    import torch
    from dreamsim import dreamsim

    images = rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    metric = build_metric(f"dreamsim_{VARIANT}", str(cache))
    e = metric.embed(images)
    d = metric.pairwise(e, e).numpy()
    model, _ = dreamsim(pretrained=True, device="cpu", cache_dir=str(cache), dreamsim_type=VARIANT)
    x = torch.nn.functional.interpolate(
        torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255, size=(224, 224),
        mode="bicubic", align_corners=False, antialias=True).clamp(0, 1)
    with torch.no_grad():  # each pair once: the package's distance is symmetric
        for i, j in zip(*np.triu_indices(4, 1)):
            ref = float(model(x[i:i + 1], x[j:j + 1]))
            assert d[i, j] == pytest.approx(ref, abs=1e-5)
    np.testing.assert_allclose(d, d.T, atol=1e-6)
    np.testing.assert_allclose(np.diag(d), 0, atol=1e-5)
    assert (d[~np.eye(4, dtype=bool)] > 0).all()
    assert "DreamSim open_clip_vitb32" in metric.description


def test_dreamsim_without_checkpoints_names_the_fetch(tmp_path):
    with pytest.raises(FileNotFoundError, match="fetch_metric_weights.*metrics/dreamsim"):
        build_metric("dreamsim", str(tmp_path))
    assert METRICS.get("dreamsim").needs_weights


def test_dreamsim_fetch_without_network_says_what_to_do(tmp_path, monkeypatch):
    import torch.hub

    def offline(url, dst, *args, **kwargs):
        raise OSError(f"no network for {url}")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(RuntimeError, match="needs a network.*unzip https:.*ensemble.*zip"):
        METRICS.get("dreamsim").fetch(str(tmp_path / "dreamsim"))
