"""How a layer's output is laid out, and which positions a statistic takes from it.

Every layer of the registry's families gives one of:

- ``nchw``: convolutional maps, channels first (torchvision and timm CNNs, ConvNeXt);
- ``nhwc``: maps with channels last (Swin in timm and torchvision);
- ``ntc``: token sequences, batch first (ViT, DeiT, DINOv2, open_clip towers), with their
  prefix tokens (class, distillation, register) before the patch tokens;
- ``tnc``: token sequences, sequence first (older attention modules);
- ``nc``: plain vectors (pooled features, heads).

The width of a layer is always its channel count. A statistic reduces the positions of a
map or the patch tokens of a sequence to one value per channel: ``centre`` is the centre
pixel, or the centre patch token (the paper's centre pixel, for tokens); ``mean`` the mean
over pixels or patch tokens; ``cls`` the class token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LAYOUTS = ("nchw", "nhwc", "ntc", "tnc", "nc")
STATISTICS = ("centre", "mean", "cls")
MAX_PREFIX_TOKENS = 16  # class + distillation + registers, searched where a model names none


@dataclass(frozen=True)
class Layout:
    """A layer's layout, its channel count, and for sequences the prefix tokens and the
    side of the square patch grid; for maps, the grid is the map."""

    kind: str
    channels: int
    grid: tuple[int, int] = (1, 1)
    prefix: int = 0

    def tokens(self, t):
        """The output as batch x positions x channels (a view, no copy): prefix tokens
        first for sequences, pixels in row-major order for maps."""
        if self.kind == "nchw":
            return t.flatten(2).transpose(1, 2)
        if self.kind == "nhwc":
            return t.flatten(1, 2)
        if self.kind == "tnc":
            return t.transpose(0, 1)
        if self.kind == "nc":
            return t[:, None]
        return t

    def centre_index(self) -> int:
        rows, cols = self.grid
        return self.prefix + (rows // 2) * cols + cols // 2

    def reduce(self, t, statistic: str):
        """One value per channel and image (N x C) of the output ``t``."""
        if statistic not in STATISTICS:
            raise ValueError(f"unknown statistic {statistic!r}; known: {', '.join(STATISTICS)}")
        if statistic == "cls" and not self.prefix:
            raise ValueError(f"statistic cls takes the class token; a {self.kind} layer "
                             f"has none: use centre or mean")
        if self.kind == "nchw":  # the paper's maps, in their own indexing
            if statistic == "centre":
                return t[:, :, t.shape[2] // 2, t.shape[3] // 2]
            return t.mean(dim=(2, 3))
        tokens = self.tokens(t)
        if statistic == "cls":
            return tokens[:, 0]
        if statistic == "centre":
            return tokens[:, self.centre_index()]
        return tokens[:, self.prefix:].mean(dim=1)

    def describe(self, statistic: str) -> str:
        """Which positions ``statistic`` used, for the provenance."""
        rows, cols = self.grid
        where = (f"{rows}x{cols} patch tokens after {self.prefix} prefix token(s)"
                 if self.kind in ("ntc", "tnc") else f"{rows}x{cols} map")
        if self.kind == "nc":
            return "the vector itself (no positions)"
        if statistic == "cls":
            return f"token 0 (the class token) of {self.prefix} prefix token(s)"
        if statistic == "centre":
            return (f"position {self.centre_index()} (row {rows // 2}, column {cols // 2}) of "
                    f"the {where}")
        return f"mean over the {where}"

    def as_dict(self) -> dict:
        return {"layout": self.kind, "channels": self.channels, "grid": list(self.grid),
                "prefix_tokens": self.prefix}


def _square_side(n: int) -> int | None:
    side = math.isqrt(n)
    return side if side * side == n and side > 0 else None


def _sequence(kind: str, length: int, *, channels: int, prefix: int | None, where: str):
    """A token sequence's patch grid: after the model's own prefix count, else after the
    fewest prefix tokens that leave a square grid."""
    counts = [prefix] if prefix is not None else range(min(MAX_PREFIX_TOKENS, length - 1) + 1)
    for p in counts:
        side = _square_side(length - p)
        if side:
            return Layout(kind, channels, (side, side), p)
    raise ValueError(f"{where}: {length} tokens leave no square grid of patch tokens after "
                     f"{'its ' + str(prefix) if prefix is not None else 'any number of'} prefix "
                     f"tokens; set layout: nc on the model row if the layer is no token map")


def detect(shape: tuple[int, ...], batch: int, *, prefix: int | None = None,
           layout: str | None = None, where: str = "layer", maps: str | None = None) -> Layout:
    """The layout of an output of ``shape`` for an input of ``batch`` square images;
    ``prefix``: the model's own prefix token count where it names one; ``layout``: the
    config's override; ``maps``: the layout the model declares for its maps (timm's
    ``output_fmt``), which settles a map whose shape reads both ways. Shapes that stay
    ambiguous are refused with the fix."""
    shape = tuple(int(s) for s in shape)
    fix = "set layout: (one of nchw, nhwc, ntc, tnc, nc) on the model row"
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"{where}: unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    kind = layout
    if kind is None:
        if len(shape) == 2:
            kind = "nc"
        elif len(shape) == 3:
            first, second = shape[0] == batch, shape[1] == batch
            if first == second:
                raise ValueError(f"{where}: an output of shape {shape} for {batch} image(s) "
                                 f"could be batch- or sequence-first; {fix}")
            kind = "ntc" if first else "tnc"
        elif len(shape) == 4:
            first, last = shape[2] == shape[3], shape[1] == shape[2]
            if first and last and maps in ("nchw", "nhwc"):
                first = maps == "nchw"
            elif first == last:
                raise ValueError(f"{where}: an output of shape {shape} reads as neither or as "
                                 f"both channels-first and channels-last maps; {fix}")
            kind = "nchw" if first else "nhwc"
        else:
            raise ValueError(f"{where}: an output of {len(shape)} dimensions {shape} is no "
                             f"map, token sequence or vector; tap another layer")
    dims = {"nchw": 4, "nhwc": 4, "ntc": 3, "tnc": 3, "nc": 2}[kind]
    if len(shape) != dims:
        raise ValueError(f"{where}: layout {kind} needs {dims} dimensions, the output has "
                         f"shape {shape}")
    if kind == "nc":
        return Layout(kind, shape[1])
    if kind == "nchw":
        return Layout(kind, shape[1], (shape[2], shape[3]))
    if kind == "nhwc":
        return Layout(kind, shape[3], (shape[1], shape[2]))
    length = shape[1] if kind == "ntc" else shape[0]
    return _sequence(kind, length, channels=shape[2], prefix=prefix, where=where)


def declared_maps(model) -> str | None:
    """The layout a model declares for its maps: timm's ``output_fmt`` (NHWC for Swin
    and MambaOut), else None."""
    fmt = getattr(model, "output_fmt", None)
    return str(fmt).lower() if str(fmt).lower() in ("nchw", "nhwc") else None


def prefix_tokens(model) -> int | None:
    """The prefix tokens (class, distillation, registers) a model's token sequences
    start with, where the model says: timm's ``num_prefix_tokens``, torchvision's ViT
    class token, open_clip's class embedding; None where it does not."""
    count = getattr(model, "num_prefix_tokens", None)
    if isinstance(count, int):
        return count
    if getattr(model, "class_token", None) is not None and hasattr(model, "encoder"):
        return 1  # torchvision VisionTransformer
    if getattr(model, "class_embedding", None) is not None:
        return 1  # open_clip VisionTransformer
    return None


def layer_layout(config_layout, layer: str) -> str | None:
    """The config's layout override for one layer: one name for every layer, or a
    mapping by layer name."""
    if isinstance(config_layout, dict):
        return config_layout.get(layer)
    return config_layout


def model_layouts(model, shapes: dict, *, layout=None, name: str = "") -> dict[str, Layout]:
    """Each layer's layout from its output shape for one probe image and what the model
    says of itself (prefix tokens, declared map layout); ``layout``: the config's
    override; ``name`` starts each error's location (e.g. the architecture)."""
    prefix, maps = prefix_tokens(model), declared_maps(model)
    return {layer: detect(shape, 1, prefix=prefix, layout=layer_layout(layout, layer),
                          where=f"{name}layer {layer}", maps=maps)
            for layer, shape in shapes.items()}
