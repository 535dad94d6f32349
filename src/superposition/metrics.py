"""Perceptual metrics behind the Interpretability Index.

Every metric maps images to an embedding whose (squared) Euclidean distances are
the metric's distances. The II engine therefore embeds each unique image once and
gets all pairwise distances from one matrix product, instead of one network
forward per pair as the paper's code does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .models import split_architecture
from .registry import Registry
from .weights import hub_dir as within

METRICS: Registry = Registry("perceptual metric")


@dataclass
class Metric:
    """An embedding whose Euclidean geometry is the perceptual distance."""

    name: str
    description: str
    embed_batch: Callable  # uint8 N x H x W x 3 -> torch float N x D
    squared: bool = True
    # (layer name, width) blocks of a squared embedding whose distances sum to the
    # metric: per-layer distances (LPIPS's retPerLayer). Filled by the first embed.
    parts: list = field(default_factory=list)

    def embed(self, images, batch_size: int = 128):
        import torch

        from .activations import batches

        with torch.inference_mode():
            return torch.cat([self.embed_batch(b) for b in batches(images, batch_size)])

    @classmethod
    def cached(cls, name: str, description: str, squared: bool) -> "Metric":
        """A metric whose embeddings are read from a store: its distances, no network."""
        def embed_batch(batch):
            raise RuntimeError(f"metric {name} reads cached embeddings; it embeds no images")

        return cls(name, description, embed_batch, squared)

    def layer_slices(self) -> dict[str, slice]:
        """Embedding columns of each layer (empty for single-block metrics)."""
        out, start = {}, 0
        for name, width in self.parts:
            out[name] = slice(start, start + width)
            start += width
        return out

    def pairwise(self, a, b):
        """Distance matrix between two sets of embeddings."""
        a64, b64 = a.double(), b.double()
        sq = (a64 * a64).sum(1)[:, None] + (b64 * b64).sum(1)[None] - 2 * a64 @ b64.T
        sq = sq.clamp_min(0)
        return (sq if self.squared else sq.sqrt()).float()


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric: its builder and the weights it needs, either one file of
    the model registry (family, name, tag) or, for metrics whose package lays out
    its own files, a ``fetch(out) -> origin`` that fills the weights directory."""

    build: Callable[..., Metric]
    architecture: str | None = None
    weights: str | None = None
    fetch: Callable[[str], str] | None = None

    @property
    def needs_weights(self) -> bool:
        return self.architecture is not None or self.fetch is not None

    def weights_source(self):
        if self.architecture is None:
            return None
        family, name = split_architecture(self.architecture)
        return family.weights_source(name, self.weights)


def _to_unit(images: np.ndarray, device):
    import torch

    return torch.from_numpy(np.ascontiguousarray(images)).to(device).permute(0, 3, 1, 2).float() / 255


def pixel_metric(weights_dir=None, device="cpu", size=None) -> Metric:
    def embed(batch):
        x = _to_unit(batch, device).flatten(1)
        return x / np.sqrt(x.shape[1])

    return Metric("pixel", "mean squared pixel difference ([0,1] RGB); a low-level control",
                  embed)


def colour_metric(weights_dir=None, device="cpu", size=None) -> Metric:
    def embed(batch):
        return _to_unit(batch, device).mean(dim=(2, 3))

    return Metric("colour", "L2 distance between mean RGB colours ([0,1]); a low-level control",
                  embed, squared=False)


# lowlevel: a control that sees image statistics only (no concept has a known answer)
METRICS.register("pixel", lowlevel=True)(MetricSpec(pixel_metric))
METRICS.register("colour", lowlevel=True)(MetricSpec(colour_metric))


def deep_feature_metric(name: str, architecture: str, *, taps: list[str], description: str,
                        weights: str, hub_dir: str | None, device="cpu",
                        size: int | None = None) -> Metric:
    """LPIPS-style distance with unit weights on a pretrained backbone.

    Per tapped layer, channel vectors are unit-normalised at each position; the
    distance is the sum over layers of the spatial mean of squared differences
    (LPIPS without its learned linear heads, the 'baseline' of Zhang et al. 2018).
    """
    import torch

    from .activations import LayerTaps, preprocess
    from .models import build_model

    family, _ = split_architecture(architecture)
    model = build_model(architecture, weights, hub_dir=hub_dir, seed=0).to(device)
    tapped = LayerTaps(model, taps)  # one pass, cut after the deepest tap
    layout = []

    def embed(batch):
        outs = tapped(preprocess(batch, family.mean, family.std, size, device))
        parts = []
        for t in taps:
            f = outs[t]
            f = f / (f.norm(dim=1, keepdim=True) + 1e-10)
            parts.append(f.flatten(1) / np.sqrt(f.shape[2] * f.shape[3]))
        layout[:] = [(t, p.shape[1]) for t, p in zip(taps, parts)]
        return torch.cat(parts, dim=1)

    return Metric(name, description, embed, parts=layout)


def register_deep_feature_metric(name: str, architecture: str, *, weights: str, layers: list[str],
                                 description: str | None = None, replace: bool = False) -> None:
    """Register the deep-feature distance on any model of the model registry.

    The config's ``metrics:`` rows come here, so a new metric is one config row;
    ``weights: random`` gives a metric that needs no weight file (for tests).
    """
    description = description or (
        f"LPIPS-style unweighted deep-feature distance on {architecture} ({weights} weights; "
        f"layers {', '.join(layers)})")

    def build(weights_dir=None, device="cpu", size=None):
        return deep_feature_metric(name, architecture, taps=list(layers),
                                   description=description, weights=weights,
                                   hub_dir=weights_dir, device=device, size=size)

    random = weights == "random"
    METRICS.register(name, replace=replace, gpu=True)(
        MetricSpec(build, None if random else architecture, None if random else weights))


register_deep_feature_metric(
    "deepfeat_efficientnet_lite0", "efficientnet_lite/efficientnet_lite0", weights="imagenet",
    layers=["_blocks.0", "_blocks.2", "_blocks.4", "_blocks.10", "_blocks.14"],
    description="LPIPS-style unweighted deep-feature distance on ImageNet-pretrained "
    "EfficientNet-Lite0 (5 stages); a stand-in for the paper's LPIPS-AlexNet, whose weights "
    "are not available offline")


_FROM_CONFIG: set[str] = set()


def register_config_metrics(config: dict) -> None:
    """Register the deep-feature metrics a workflow config defines under ``metrics:``
    (again in every job, which runs in a fresh process)."""
    from .rows import MetricRow

    for name, row in config.get("metrics", {}).items():
        if name in METRICS and name not in _FROM_CONFIG:
            raise ValueError(f"metrics.{name}: a built-in metric has this name; choose another")
        row = MetricRow.from_row(row)
        register_deep_feature_metric(name, row.architecture, weights=row.weights,
                                     layers=row.layers, replace=True)
        _FROM_CONFIG.add(name)


def lpips_metric(name: str, net: str, *, hub_dir: str | None, device="cpu",
                 size: int | None = None) -> Metric:
    """LPIPS (Zhang et al. 2018, v0.1) from the ``lpips`` package, as an embedding.

    Per layer: unit-normalised channels scaled by the square root of LPIPS's
    learned linear weights and by 1/sqrt(H W), so the squared Euclidean distance
    of embeddings is exactly LPIPS (sum over layers of the spatial mean of the
    weighted squared differences). Images go in as [0, 1] RGB mapped to [-1, 1],
    the package's ``normalize=True``. ``hub_dir=None`` uses a random backbone
    (``pnet_rand``), which is not the published metric and is named so.
    """
    import torch

    import lpips

    with within(hub_dir):
        model = lpips.LPIPS(net=net, pnet_rand=hub_dir is None, verbose=False).to(device).eval()
    weights = [lin.model[-1].weight.detach().clamp_min(0).sqrt() for lin in model.lins]
    layout = []

    def embed(batch):
        x = _to_unit(batch, device)
        if size and x.shape[-1] != size:
            x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear",
                                                align_corners=False, antialias=True)
        feats = model.net.forward(model.scaling_layer(2 * x - 1))
        out = torch.empty(len(x), sum(f[0].numel() for f in feats), device=x.device)
        start = 0
        for f, w in zip(feats, weights):
            # lpips.normalize_tensor, times sqrt(linear weight) / sqrt(H W), in one pass
            norm = torch.linalg.vector_norm(f, dim=1, keepdim=True)  # one fused pass
            inv = 1 / (norm.add_(1e-10) * np.sqrt(f.shape[2] * f.shape[3]))
            n = f[0].numel()
            torch.mul(f, inv, out=out[:, start:start + n].view_as(f)).mul_(w)
            start += n
        layout[:] = [(f"lpips{i + 1}", f[0].numel()) for i, f in enumerate(feats)]
        return out

    backbone = f"{net} ImageNet weights" if hub_dir else f"a RANDOM {net} backbone (pnet_rand)"
    return Metric(name, f"LPIPS v0.1 (lpips package, linear heads) on {backbone}", embed,
                  parts=layout)


for _net, _arch in (("alex", "torchvision/alexnet"), ("vgg", "torchvision/vgg16")):
    METRICS.register(f"lpips_{_net}", gpu=True)(MetricSpec(
        lambda weights_dir=None, device="cpu", size=None, net=_net: lpips_metric(
            f"lpips_{net}", net, hub_dir=weights_dir, device=device, size=size),
        _arch, "IMAGENET1K_V1"))
    METRICS.register(f"lpips_{_net}_random", gpu=True)(MetricSpec(
        lambda weights_dir=None, device="cpu", size=None, net=_net: lpips_metric(
            f"lpips_{net}_random", net, hub_dir=None, device=device, size=size)))


def clip_metric(name: str, model: str, *, tag: str, hub_dir: str | None, device="cpu",
                size: int | None = None) -> Metric:
    """1 - cosine similarity of open_clip image embeddings (``hub_dir=None``: random weights)."""
    import torch

    from .activations import preprocess
    from .models import FAMILIES

    family = FAMILIES.get("open_clip")
    visual = (family.load_pretrained(model, tag, hub_dir) if hub_dir
              else family.build(model)).to(device).eval()
    side = visual.image_size[0] if isinstance(visual.image_size, tuple) else visual.image_size

    def embed(batch):
        f = visual(preprocess(batch, family.mean, family.std, size or side, device))
        return torch.nn.functional.normalize(f, dim=1) / np.sqrt(2)  # |a-b|^2 = 1 - cos

    weights = f"{tag} weights" if hub_dir else "RANDOM weights"
    return Metric(name, f"1 - cosine similarity of open_clip {model} image embeddings ({weights})",
                  embed)


METRICS.register("clip", gpu=True)(MetricSpec(
    lambda weights_dir=None, device="cpu", size=None: clip_metric(
        "clip", "ViT-B-32", tag="openai", hub_dir=weights_dir, device=device, size=size),
    "open_clip/ViT-B-32", "openai"))
METRICS.register("clip_random", gpu=True)(MetricSpec(
    lambda weights_dir=None, device="cpu", size=None: clip_metric(
        "clip_random", "RN50", tag="openai", hub_dir=None, device=device, size=size)))


DREAMSIM_FILES = {  # what dreamsim 0.2.1 needs in its cache directory, per variant
    "ensemble": ["dino_vitb16_pretrain.pth", "open_clip_vitb16_pretrain.pth.tar",
                 "clip_vitb16_pretrain.pth.tar", "ensemble_lora"],
    "open_clip_vitb32": ["open_clip_vitb32_pretrain.pth.tar", "open_clip_vitb32_single_lora"],
}


def _dreamsim_package():
    try:
        from dreamsim import dreamsim
    except ImportError as err:
        raise ImportError(f"metric dreamsim needs the optional dreamsim package ({err}): pip "
                          f"install dreamsim==0.2.1 (or: pip install -e '.[dreamsim]')") from None
    return dreamsim


def fetch_dreamsim(variant: str, out: str) -> str:
    """Let the dreamsim package download its checkpoints into ``out`` (it also
    places the torch hub code and weights its DINO branch needs there)."""
    from .weights import sha256

    try:
        with within(None):  # the package points torch.hub at its cache: undo it after
            _dreamsim_package()(pretrained=True, device="cpu", cache_dir=str(out),
                                dreamsim_type=variant)
    except OSError as err:
        from dreamsim.config import dreamsim_weights

        raise RuntimeError(
            f"could not fetch the DreamSim {variant} checkpoints into {out} ({err}). This "
            f"local rule needs a network: rerun the workflow on a host that has one, or "
            f"unzip {dreamsim_weights[variant]} into {out} there"
            + (" (the ensemble also needs DINO's torch hub code and weights, which the "
               "package fetches itself)" if variant == "ensemble" else "")) from err
    archive = Path(out) / "pretrained.zip"
    return "dreamsim package" + (f" (archive sha256 {sha256(archive)})" if archive.exists() else "")


def dreamsim_metric(name: str, variant: str, *, cache_dir: str | None, device="cpu",
                    size: int | None = None) -> Metric:
    """DreamSim (Fu et al. 2023): 1 - cosine similarity of its embeddings.

    The ``dreamsim`` package's own model and embedding, fed [0, 1] RGB resized to
    224 px (bicubic, as its preprocessing; ``size`` does not apply). Its
    checkpoints must already be in
    ``cache_dir`` (the fetch_metric_weights rule puts them there): else the package
    would download inside a compute job, where there is often no network.
    """
    import torch

    dreamsim = _dreamsim_package()
    missing = [f for f in DREAMSIM_FILES[variant]
               if cache_dir is None or not (Path(cache_dir) / f).exists()]
    if missing:
        raise FileNotFoundError(
            f"DreamSim {variant} checkpoints {missing} are not in {cache_dir}; on a host with "
            f"a network, the fetch_metric_weights rule downloads them: "
            f"snakemake resources/weights/metrics/{name}")
    with within(None):  # the package points torch.hub at its cache: undo it after
        model, _ = dreamsim(pretrained=True, device=device, cache_dir=str(cache_dir),
                            dreamsim_type=variant)

    def embed(batch):
        x = torch.nn.functional.interpolate(
            _to_unit(batch, device), size=(224, 224), mode="bicubic", align_corners=False,
            antialias=True).clamp_(0, 1)
        return torch.nn.functional.normalize(model.embed(x), dim=1) / np.sqrt(2)

    return Metric(name, f"DreamSim {variant} (dreamsim package, its pretrained checkpoints): "
                        f"1 - cosine similarity of embeddings", embed)


for _name, _variant in (("dreamsim", "ensemble"),
                        ("dreamsim_open_clip_vitb32", "open_clip_vitb32")):
    # mis_alpha: the MIS authors' fit of the ensemble on the IMI human data (MachInterp)
    METRICS.register(_name, gpu=True, mis_alpha=0.16 if _variant == "ensemble" else None)(
        MetricSpec(
            lambda weights_dir=None, device="cpu", size=None, name=_name, variant=_variant:
            dreamsim_metric(name, variant, cache_dir=weights_dir, device=device, size=size),
            fetch=lambda out, variant=_variant: fetch_dreamsim(variant, out)))


def build_metric(name: str, weights_dir: str | None = None, *, device="cpu",
                 size: int | None = None) -> Metric:
    return METRICS.get(name).build(weights_dir=weights_dir, device=device, size=size)
