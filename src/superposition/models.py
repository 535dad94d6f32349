"""Model registry: build a network, know its weights and its preprocessing.

``architecture`` in the config is ``family/name`` (e.g. ``torchvision/mobilenet_v2``).
A family builds the network with random weights, names the weight file for a
weights tag, and says how images are normalised.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from .registry import Registry
from .weights import WeightsSource

FAMILIES: Registry = Registry("model family")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Family:
    """How to build one family of networks, where their weights come from and
    how to load them from a torch hub directory."""

    build: Callable  # name -> module with random weights
    weights_source: Callable  # (name, tag) -> WeightsSource, or None if the model loads its own
    load_pretrained: Callable | None  # (name, tag, hub_dir) -> module with pretrained weights
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    names: Callable | None = None  # () -> every model name, for a zoo's globs
    default_tag: Callable | None = None  # name -> the family's default pretrained tag
    # (name, path) -> raises ValueError where a local weight file does not fit the network
    check_file: Callable | None = None


def _torchvision_build(name: str):
    import torchvision
    from difflib import get_close_matches

    known = torchvision.models.list_models()
    if name not in known:
        close = get_close_matches(name, known, n=3, cutoff=0.6)
        raise ValueError(f"torchvision has no model {name!r}"
                         + (f" (did you mean {' or '.join(map(repr, close))}?)" if close else
                            "; see torchvision.models.list_models()"))
    return torchvision.models.get_model(name, weights=None)


def _torchvision_weights(name: str, tag: str) -> WeightsSource:
    import torchvision

    enum = torchvision.models.get_model_weights(name)
    try:
        url = enum[tag].url
    except KeyError:
        raise KeyError(f"torchvision model {name} has no weights {tag!r}; "
                       f"known: {', '.join(w.name for w in enum)}") from None
    return WeightsSource(url.rsplit("/", 1)[-1], url)


def _torchvision_pretrained(name: str, tag: str, hub_dir: str):
    """torchvision's own weights API, reading (with its hash check) from ``hub_dir``."""
    import torchvision

    from .weights import hub_dir as within

    with within(hub_dir):
        return torchvision.models.get_model(name, weights=tag)


def _load_checkpoint(family: "Family", name: str, *, tag: str, hub_dir: str):
    """Random model, then the checkpoint in ``hub_dir``, checked by its sha256 prefix."""
    import torch

    from .weights import check, checkpoint

    source = family.weights_source(name, tag)
    path = checkpoint(hub_dir, source)
    check(path, source)
    model = family.build(name)
    missing, _ = model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True),
                                       strict=False)
    if missing:
        raise ValueError(f"{path} lacks {len(missing)} tensors of {name}, e.g. {missing[:3]}: "
                         f"wrong weights for this architecture")
    return model


def _torchvision_names():
    import torchvision

    return torchvision.models.list_models(module=torchvision.models)


def _torchvision_default(name: str) -> str:
    import torchvision

    return torchvision.models.get_model_weights(name).DEFAULT.name


FAMILIES.register("torchvision")(
    Family(_torchvision_build, _torchvision_weights, _torchvision_pretrained,
           names=_torchvision_names, default_tag=_torchvision_default))


def _lite_build(name: str):
    from efficientnet_lite_pytorch import EfficientNet

    return EfficientNet.from_name(name.replace("_", "-"))


def _lite_weights(name: str, tag: str) -> WeightsSource:
    files = {"efficientnet_lite0": "efficientnet-lite0-57934424.pth"}
    if tag != "imagenet" or name not in files:
        raise KeyError(f"no weights {tag!r} for {name}; known: imagenet for {', '.join(files)}")
    return WeightsSource(files[name])


FAMILIES.register("efficientnet_lite")(
    Family(_lite_build, _lite_weights,
           lambda name, tag, hub_dir: _load_checkpoint(FAMILIES.get("efficientnet_lite"), name,
                                                       tag=tag, hub_dir=hub_dir),
           (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), names=lambda: ["efficientnet_lite0"],
           default_tag=lambda name: "imagenet"))


CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2471, 0.2435, 0.2616)
CIFAR_WEIGHTS_ZIP = "https://rutgers.box.com/shared/static/gkw08ecs797j2et1ksmbg1w5t3idf5r5.zip"


def _cifar_build(name: str):
    """The CIFAR-10 ResNets of huyvnphan/PyTorch_CIFAR10 (the paper's model).

    torchvision's ResNet with a 3x3 stride-1 stem (the max-pool kept) and 10
    classes; its parameter names match that project's state dicts.
    """
    import torchvision
    from torch import nn

    model = torchvision.models.get_model(name, weights=None, num_classes=10)
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    return model


def _cifar_weights(name: str, tag: str) -> WeightsSource:
    if tag != "huyvnphan":
        raise KeyError(f"CIFAR-10 {name} has weights 'huyvnphan' only, not {tag!r}")
    return WeightsSource(f"cifar10_{name}.pt", CIFAR_WEIGHTS_ZIP, f"state_dicts/{name}.pt")


FAMILIES.register("cifar10")(
    Family(_cifar_build, _cifar_weights,
           lambda name, tag, hub_dir: _load_checkpoint(FAMILIES.get("cifar10"), name, tag=tag,
                                                       hub_dir=hub_dir),
           CIFAR_MEAN, CIFAR_STD, default_tag=lambda name: "huyvnphan"))


# He et al. (2016) CIFAR ResNets, section 4.2: 6n+2 layers, option-A shortcuts
HE_CIFAR_URL = "https://github.com/akamaster/pytorch_resnet_cifar10/raw/master/pretrained_models/"
# the upstream files (akamaster/pytorch_resnet_cifar10): name carries the sha256 prefix;
# full sums where known
HE_CIFAR_FILES = {
    "resnet20": ("resnet20-12fca82f.th",
                 "12fca82f0bebc4135bf1f32f6e3710e61d5108578464b84fd6d7f5c1b04036c8"),
    "resnet32": ("resnet32-d509ac18.th",
                 "d509ac1820d7f25398913559d7e81a13229b1e7adc5648e3bfa5e22dc137f850"),
    "resnet44": ("resnet44-014dd654.th", None),
    "resnet56": ("resnet56-4bfd9763.th",
                 "4bfd97631478d6b638d2764fd2baff3edb1d7d82252d54439343b6596b9b5367"),
    "resnet110": ("resnet110-1d1ed7c2.th", None),
    "resnet1202": ("resnet1202-f3b1deed.th", None),
}
WEIGHT_SUFFIXES = (".th", ".pt", ".pth", ".safetensors")


def is_weights_path(tag: str) -> bool:
    """A ``weights:`` value that names a file rather than a tag."""
    return "/" in tag or tag.endswith(WEIGHT_SUFFIXES)


def _he_blocks(name: str) -> int:
    """Blocks per stage of ``resnet<6n+2>``."""
    import re

    match = re.fullmatch(r"resnet(\d+)", name)
    depth = int(match.group(1)) if match else 0
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"cifar_resnet/{name}: He et al.'s CIFAR ResNets are resnet<6n+2> "
                         f"(resnet20, resnet32, resnet44, resnet56, resnet110, resnet1202)")
    return (depth - 2) // 6


def _he_cifar_build(name: str):
    """A 3x3 conv (16 filters), three stages of n basic blocks on 16, 32 and 64 channels
    (``layer1``..``layer3``; the first block of stages 2 and 3 strides by 2, its shortcut
    subsamples and zero-pads the new channels: option A, no parameters), global average
    pooling and a 10-way ``linear``. Parameter names follow the upstream checkpoints."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.pad = cout - cin

        def forward(self, x):
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            short = x
            if self.pad:
                short = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
            return F.relu(out + short)

    class HeCifarResNet(nn.Module):
        def __init__(self, n: int, classes: int = 10):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            widths, cin = (16, 32, 64), 16
            for i, width in enumerate(widths, 1):
                blocks = [Block(cin if b == 0 else width, width, 2 if b == 0 and i > 1 else 1)
                          for b in range(n)]
                setattr(self, f"layer{i}", nn.Sequential(*blocks))
                cin = width
            self.linear = nn.Linear(64, classes)
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.kaiming_normal_(m.weight)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)))
            x = self.layer3(self.layer2(self.layer1(x)))
            return self.linear(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    return HeCifarResNet(_he_blocks(name))


def _he_cifar_weights(name: str, tag: str) -> WeightsSource:
    """``akamaster`` (the upstream files, fetched from their URL and checked by sha256), or
    a path to a local checkpoint in the upstream format."""
    _he_blocks(name)
    if is_weights_path(tag):
        from pathlib import Path

        path = Path(tag).expanduser().resolve()
        if not path.is_file():
            raise KeyError(f"weight file {tag} does not exist; give the path to a .th file, or "
                           f"weights: akamaster to fetch the upstream file")
        known = {f: digest for f, digest in HE_CIFAR_FILES.values()}
        return WeightsSource(path.name, path.as_uri(), sha256=known.get(path.name))
    if tag != "akamaster" or name not in HE_CIFAR_FILES:
        known = ", ".join(HE_CIFAR_FILES)
        raise KeyError(f"cifar_resnet/{name} has no weights {tag!r}: 'akamaster' exists for "
                       f"{known}; any depth takes a path to a local checkpoint")
    filename, digest = HE_CIFAR_FILES[name]
    return WeightsSource(filename, HE_CIFAR_URL + filename, sha256=digest)


def read_he_checkpoint(path) -> dict:
    """The state dict of an upstream checkpoint (``{"state_dict": ..., "best_prec1": ...}``
    saved from ``nn.DataParallel``, or a bare state dict), without the ``module.`` prefix.
    The upstream files are legacy pickles of tensors and numbers only."""
    import torch

    data = torch.load(path, map_location="cpu", weights_only=True)
    state = data.get("state_dict", data) if isinstance(data, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds no state dict")
    return {k.removeprefix("module."): v for k, v in state.items()}


def check_he_checkpoint(name: str, path) -> dict:
    """The checkpoint's state dict, refused unless its tensors are exactly those of
    ``cifar_resnet/name``, shapes included."""
    model = _he_cifar_build(name)
    state = read_he_checkpoint(path)
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    have = {k: tuple(v.shape) for k, v in state.items()}
    # checkpoints older than torch 0.4.1 have no BatchNorm step counters (unused in eval)
    missing = sorted(k for k in set(want) - set(have) if not k.endswith("num_batches_tracked"))
    extra = sorted(set(have) - set(want))
    shapes = [k for k in set(want) & set(have) if want[k] != have[k]]
    if missing or extra or shapes:
        raise ValueError(
            f"{path} does not fit cifar_resnet/{name}: "
            + "; ".join(part for part in (
                f"{len(missing)} tensors missing, e.g. {missing[:2]}" if missing else "",
                f"{len(extra)} unexpected, e.g. {extra[:2]}" if extra else "",
                f"shapes differ for {sorted(shapes)[:2]}" if shapes else "") if part)
            + ". Is it a checkpoint of another depth or architecture?")
    return state


def _he_cifar_check_file(name: str, path: str) -> None:
    from pathlib import Path

    from .weights import check

    check(Path(path), _he_cifar_weights(name, path))
    check_he_checkpoint(name, path)


def _he_cifar_pretrained(name: str, tag: str, hub_dir: str):
    from .weights import check, checkpoint

    from pathlib import Path

    # a local file was copied into the hub directory by the fetch rule, under its own name
    source = (WeightsSource(Path(tag).name) if is_weights_path(tag)
              else _he_cifar_weights(name, tag))
    path = checkpoint(hub_dir, source)
    check(path, source)
    model = _he_cifar_build(name)
    model.load_state_dict(check_he_checkpoint(name, path), strict=False)
    return model


FAMILIES.register("cifar_resnet")(
    Family(_he_cifar_build, _he_cifar_weights, _he_cifar_pretrained,
           names=lambda: ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
                          "resnet1202"],
           default_tag=lambda name: "akamaster", check_file=_he_cifar_check_file))


def _timm_create(name: str, **kwargs):
    """A timm model that takes any input size where it can (``dynamic_img_size``: a ViT's
    position embeddings are resampled to the input's patch grid, as timm does when it
    builds one at another ``img_size``); a model without the option is built as it is."""
    import timm

    try:
        return timm.create_model(name, dynamic_img_size=True, **kwargs)
    except TypeError:
        return timm.create_model(name, **kwargs)


def _timm_build(name: str):
    return _timm_create(name, pretrained=False)


def _timm_weights(name: str, tag: str) -> WeightsSource:
    """A timm pretrained tag (e.g. a1_in1k): its release URL, else its Hub file."""
    import timm

    cfg = timm.models.get_pretrained_cfg(f"{name}.{tag}")
    if cfg is None:
        raise KeyError(f"timm has no pretrained weights {name}.{tag}")
    cfg = cfg.to_dict()
    if cfg.get("url"):
        return WeightsSource(cfg["url"].rsplit("/", 1)[-1], cfg["url"])
    hub = cfg.get("hf_hub_id")
    return WeightsSource(f"timm-{name}.{tag}.safetensors",
                         f"https://huggingface.co/{hub}/resolve/main/model.safetensors")


def _timm_pretrained(name: str, tag: str, hub_dir: str):
    from .weights import checkpoint

    path = checkpoint(hub_dir, _timm_weights(name, tag))
    return _timm_create(f"{name}.{tag}", pretrained=True,
                        pretrained_cfg_overlay={"file": str(path)})


def _timm_names():
    import timm

    return timm.list_models()


def _timm_default(name: str) -> str:
    import timm

    tagged = timm.list_pretrained(f"{name}.*")  # the default tag first
    if not tagged:
        raise KeyError(f"timm model {name} has no pretrained weights; use weights: random")
    return tagged[0].split(".", 1)[1]


FAMILIES.register("timm")(Family(_timm_build, _timm_weights, _timm_pretrained,
                                 names=_timm_names, default_tag=_timm_default))

OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def _clip_build(name: str):
    """The visual tower of an open_clip model (e.g. RN50, ViT-B-32), random weights."""
    import open_clip

    return open_clip.create_model(name, pretrained=None).visual


def _clip_weights(name: str, tag: str) -> WeightsSource:
    import open_clip

    cfg = open_clip.get_pretrained_cfg(name, tag)
    if not cfg or not cfg.get("url"):
        raise KeyError(f"open_clip has no downloadable weights {name}/{tag!r}"
                       + (f" (only on the Hugging Face Hub: {cfg.get('hf_hub')})" if cfg else ""))
    return WeightsSource(f"open_clip-{name}-{tag}-{cfg['url'].rsplit('/', 1)[-1]}", cfg["url"])


def _clip_pretrained(name: str, tag: str, hub_dir: str):
    import open_clip

    from .weights import checkpoint

    path = checkpoint(hub_dir, _clip_weights(name, tag))
    return open_clip.create_model(name, pretrained=str(path)).visual


def _clip_names():
    import open_clip

    return open_clip.list_models()


def _clip_default(name: str) -> str:
    import open_clip

    tags = open_clip.list_pretrained_tags_by_model(name)
    if not tags:
        raise KeyError(f"open_clip model {name} has no pretrained weights; use weights: random")
    return tags[0]


FAMILIES.register("open_clip")(
    Family(_clip_build, _clip_weights, _clip_pretrained, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD,
           names=_clip_names, default_tag=_clip_default))


def _python_build(name: str, weights: str | None = None):
    """A user's own network: ``architecture: python/package.module:function``.

    The function is called without arguments for ``weights: random`` and with
    ``weights=<tag>`` otherwise; it returns a torch module and loads any
    pretrained weights itself.
    """
    import importlib

    module, sep, function = name.partition(":")
    if not sep:
        raise KeyError(f"python models are named module:function, not {name!r}")
    try:
        factory = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as err:
        raise KeyError(f"cannot import {name}: {err}") from None
    return factory() if weights is None else factory(weights=weights)


FAMILIES.register("python")(
    Family(_python_build, lambda name, tag: None,
           lambda name, tag, hub_dir: _python_build(name, tag)))


def tiny_cnn(name: str, width: int = 16):
    """A small random CNN for tests and quick checks."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(3, width, 3, padding=1), nn.ReLU(),
        nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(2 * width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
    )


def _tiny_weights(name: str, tag: str) -> WeightsSource:
    raise KeyError("tiny_cnn has no pretrained weights; use weights: random")


FAMILIES.register("tiny")(Family(tiny_cnn, _tiny_weights, None))


def split_architecture(architecture: str) -> tuple[Family, str]:
    family, _, name = architecture.partition("/")
    return FAMILIES.get(family), name


def build_model(architecture: str, weights: str, *, hub_dir: str | None, seed: int):
    """The network in eval mode: seeded random weights for ``weights='random'``,
    else the pretrained ``weights`` tag read from the torch hub directory ``hub_dir``."""
    import torch

    family, name = split_architecture(architecture)
    torch.manual_seed(seed)
    if weights == "random":
        return family.build(name).eval()
    if hub_dir is None and family.weights_source(name, weights) is not None:
        raise ValueError(f"{architecture} weights {weights!r} need a weights directory")
    return family.load_pretrained(name, weights, hub_dir).eval()


@lru_cache(maxsize=None)
def _skeleton(architecture: str):
    """The network with random weights, on the meta device where its builder allows
    (no memory, no initialisation); built once per architecture, as the config checks,
    the preflight and the ground-truth lookup all read it (and leave no hooks on it)."""
    import torch

    family, name = split_architecture(architecture)
    try:
        with torch.device("meta"):
            return family.build(name)
    except (NotImplementedError, RuntimeError):  # builders that move tensors themselves
        return family.build(name)


def layer_names(architecture: str) -> list[str]:
    """Every named submodule, the names a config may list as layers."""
    return [n for n, _ in _skeleton(architecture).named_modules() if n]


def layer_widths(architecture: str, layers: list[str], *, size: int,
                 layout=None) -> dict[str, int] | None:
    """The number of units (channels) of each layer, read by its layout (see
    ``layouts``; ``layout``: the config's override), from one forward pass of a ``size``
    px image on the meta device where the network allows; None where the forward pass
    cannot run without real data. A layout that cannot be read raises ValueError."""
    import torch

    from .layouts import model_layouts

    model = _skeleton(architecture).eval()
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    modules = dict(model.named_modules())
    shapes = {}
    hooks = [modules[layer].register_forward_hook(
        lambda m, i, out, layer=layer: shapes.__setitem__(layer, getattr(out, "shape", None)))
        for layer in layers]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, size, size, device=device))
    except Exception as err:  # shapes that depend on values, ops the meta device lacks
        native = (getattr(model, "pretrained_cfg", None) or {}).get("input_size")
        if native and native[-1] != size:  # a model built for one input size
            raise ValueError(f"{architecture} does not run on {size} px inputs ({err}); it "
                             f"was built for {native[-1]} px: set input_size: {native[-1]} "
                             f"on the row") from None
        return None
    finally:
        for hook in hooks:
            hook.remove()
    if len(shapes) < len(layers) or any(shape is None for shape in shapes.values()):
        return None  # the job names the layer that did not fire or gave no tensor
    layouts = model_layouts(model, {layer: shapes[layer] for layer in layers}, layout=layout,
                            name=f"{architecture} ")
    return {layer: read.channels for layer, read in layouts.items()}


def _planted(model, layers: list[str]) -> dict:
    """``model.planted_directions`` by configured layer: one value for every layer, or a
    dict by layer name; {} where the network has none."""
    planted = getattr(model, "planted_directions", None)
    if planted is None:
        return {}
    if not isinstance(planted, dict):
        planted = {layer: planted for layer in layers}
    return {layer: value for layer, value in planted.items() if layer in layers}


def planted_directions(model, layers: list[str]) -> dict:
    """A user network's own ground truth: features x units per configured layer."""
    import torch

    return {layer: torch.as_tensor(value).detach().cpu().float().numpy()
            for layer, value in _planted(model, layers).items()}


def planted_layers(architecture: str, layers: list[str]) -> list[str]:
    """The configured layers a user's ``python/`` network plants features in, read from
    the network built on the meta device."""
    if not architecture.startswith("python/"):
        return []
    planted = _planted(_skeleton(architecture), layers)
    return [layer for layer in layers if layer in planted]


def stage_layers(architecture: str) -> list[str]:
    """A model's stage outputs, shallow to deep: where its feature map's size changes, as
    timm's ``feature_info`` marks them. timm models: their ``feature_info``. Others: the
    blocks found by the first rule that applies, then of those on maps only each one the
    map's size changes after (and the last), read from one forward pass of the skeleton;
    blocks of token sequences are each a stage (timm's ViTs). The rules: ``layer1``,
    ``layer2``, ... (ResNets, open_clip's ResNet towers); the blocks of ``encoder.layers``
    (torchvision ViT), of ``transformer.resblocks`` (open_clip ViT) or of ``_blocks``
    (EfficientNet-Lite); the inception modules (GoogLeNet ``inception*``, Inception v3
    ``Mixed_*``); the children of ``features`` (MobileNet, EfficientNet, ConvNeXt, Swin),
    only its dense blocks (DenseNet) or its max-pools (VGG, AlexNet) where it has any."""
    model = _skeleton(architecture)
    modules = dict(model.named_modules())
    info = getattr(model, "feature_info", None)
    if isinstance(info, list) and info and all(isinstance(d, dict) for d in info):
        return [d["module"] for d in info if d.get("module") in modules]
    return _stage_ends(model, _stage_blocks(architecture, model, modules))


def _stage_blocks(architecture: str, model, modules: dict) -> list[str]:
    """The blocks among which ``stage_layers`` finds the stage ends (its rules)."""
    from torch import nn

    numbered = [f"layer{i}" for i in range(1, 10) if f"layer{i}" in modules]
    if numbered:
        return numbered
    for blocks in ("encoder.layers", "transformer.resblocks", "_blocks"):
        if blocks in modules:
            return [f"{blocks}.{name}" for name, _ in modules[blocks].named_children()]
    inception = [name for name, _ in model.named_children()
                 if name.startswith(("inception", "Mixed_"))]
    if inception:
        return inception
    if "features" in modules:
        children = list(modules["features"].named_children())
        dense = [name for name, _ in children if name.startswith("denseblock")]
        pools = [name for name, m in children if isinstance(m, nn.MaxPool2d)]
        return [f"features.{name}" for name in dense or pools or [n for n, _ in children]]
    raise ValueError(f"{architecture}: no rule finds its stages (timm feature_info, layer1.., "
                     f"encoder.layers, transformer.resblocks, _blocks, inception modules, "
                     f"features); list its layers by name")


def _stage_ends(model, blocks: list[str], size: int = 224) -> list[str]:
    """Of ``blocks``, those whose map the next block changes the size of, and the last,
    from one forward pass of a ``size`` px image (on the meta device where the network
    allows). Blocks whose outputs are not all maps (token sequences) are kept, as are
    all blocks where the pass cannot run."""
    import torch

    from .layouts import model_layouts

    modules = dict(model.named_modules())
    shapes = {}
    def keep(block):  # a hook that returns nothing: the output is left as it is
        return lambda m, i, out: shapes.__setitem__(block, getattr(out, "shape", None))

    hooks = [modules[b].register_forward_hook(keep(b)) for b in blocks]
    param = next(model.parameters(), None)
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, 3, size, size,
                                     device=param.device if param is not None else "cpu"))
        grids = {b: layout.grid for b, layout in model_layouts(model, shapes).items()
                 if layout.kind in ("nchw", "nhwc")}
    except Exception:  # shapes that depend on values, layouts that read both ways
        return blocks
    finally:
        for hook in hooks:
            hook.remove()
    if len(grids) < len(blocks):
        return blocks
    return [b for b, after in zip(blocks, blocks[1:] + [None])
            if after is None or grids[b] != grids[after]]


def resolve_layers(architecture: str, layers) -> tuple[list[str], dict[str, float]]:
    """The configured ``layers`` as layer names, and each one's relative depth among the
    model's stages (see ``stage_layers``): ``stages`` is every stage; a list of depth
    fractions in (0, 1] picks, for each, the first stage at or past that depth
    (``[0.5, 1.0]`` on four stages: the second and the fourth); a list of names is kept,
    with depths for the names that are stages."""
    import math

    if isinstance(layers, str) and layers != "stages":
        raise ValueError(f"layers: {layers!r} is not 'stages', a list of layer names or a "
                         f"list of depth fractions")
    named = not isinstance(layers, str) and not all(
        isinstance(f, (int, float)) and not isinstance(f, bool) for f in layers)
    try:
        stages = stage_layers(architecture)
    except ValueError:
        if named:  # named layers need no stages; they just get no depths
            return [str(layer) for layer in layers], {}
        raise
    depths = {name: (i + 1) / len(stages) for i, name in enumerate(stages)}
    if named:
        names = [str(layer) for layer in layers]
        return names, {n: depths[n] for n in names if n in depths}
    if layers == "stages":
        return stages, depths
    wrong = [f for f in layers if not 0 < f <= 1]
    if wrong:
        raise ValueError(f"layers: depth fractions lie in (0, 1]; {wrong} do not")
    picked = list(dict.fromkeys(stages[max(0, math.ceil(f * len(stages)) - 1)]
                                for f in layers))
    return picked, {name: depths[name] for name in picked}


def check_layers(architecture: str, layers: list[str], valid: list[str] | None = None) -> None:
    """Raises ValueError naming each layer that ``architecture`` lacks (``valid``: its
    layer names, where already known), with the closest names."""
    from difflib import get_close_matches

    valid = layer_names(architecture) if valid is None else valid
    wrong = [layer for layer in layers if layer not in valid]
    if wrong:
        close = get_close_matches(wrong[0], valid, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        shown = ", ".join(valid[:60]) + (" ..." if len(valid) > 60 else "")
        raise ValueError(f"{architecture} has no layer {', '.join(map(repr, wrong))}{hint}; "
                         f"valid names: {shown}")


@lru_cache(maxsize=None)
def _network_packages() -> tuple:
    """The installed versions of the packages that build networks (None: not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(package):
        try:
            return version(package)
        except PackageNotFoundError:
            return None

    return tuple(installed(p) for p in ("torch", "torchvision", "timm", "open_clip_torch"))


class ArchitectureFacts:
    """What the config checks and the preflight ask of an architecture (its layer names,
    stages, layer widths, weight tags), kept in a :class:`~superposition.preflight.Cache`
    while this package and the installed torch, torchvision, timm and open_clip are
    unchanged, so that a run's start builds no network once any run has asked. A user's
    ``python/`` network is asked every time: its file is not the package's."""

    def __init__(self, cache):
        self.cache = cache

    def _get(self, what: str, architecture: str, *, args, compute):
        if architecture.startswith("python/"):
            return compute()
        from pathlib import Path

        key = f"{what} {architecture} {args} {_network_packages()}"
        return self.cache.get(key, Path(__file__).parent, compute)

    def layer_names(self, architecture: str) -> list[str]:
        return self._get("layer_names", architecture, args=None,
                         compute=lambda: layer_names(architecture))

    def resolve_layers(self, architecture: str, layers) -> tuple[list[str], dict[str, float]]:
        names, depths = self._get("resolve_layers", architecture, args=layers,
                                  compute=lambda: resolve_layers(architecture, layers))
        return list(names), depths

    def layer_widths(self, architecture: str, layers: list[str], *, size: int,
                     layout=None) -> dict[str, int] | None:
        return self._get("layer_widths", architecture, args=(layers, size, layout),
                         compute=lambda: layer_widths(architecture, layers, size=size,
                                                      layout=layout))

    def check_weights(self, architecture: str, tag: str) -> None:
        """Raises ValueError where ``tag`` names no weights of the architecture (a weight
        file is asked every time: it may move)."""
        family, name = split_architecture(architecture)
        if is_weights_path(tag):
            family.weights_source(name, tag)
            return
        self._get("weights", architecture, args=tag,
                  compute=lambda: family.weights_source(name, tag) is not None)


def check_weight_file(architecture: str, path: str) -> None:
    """A local weight file checked against its network (checksum, tensor names and
    shapes) where the family can, before any job loads it."""
    family, name = split_architecture(architecture)
    if family.check_file is not None:  # other families refuse a path as an unknown tag
        family.check_file(name, path)


def model_row_problems(config: dict, facts: ArchitectureFacts) -> list[str]:
    """Each model and metric row checked against its real architecture: the family, the
    layer names and the weight tag."""
    problems = []
    for section in ("models", "metrics"):
        for name, row in config.get(section, {}).items():
            try:
                split_architecture(row["architecture"])
                check_layers(row["architecture"], row["layers"],
                             facts.layer_names(row["architecture"]))
                if row["weights"] != "random":
                    facts.check_weights(row["architecture"], row["weights"])
                if section == "models" and is_weights_path(row["weights"]):
                    check_weight_file(row["architecture"], row["weights"])
            except (KeyError, ValueError) as err:
                problems.append(f"{section}.{name}: {err.args[0] if err.args else err}")
    return problems
