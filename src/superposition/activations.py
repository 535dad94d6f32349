"""Stream a pool of images through a network and keep one statistic per channel.

All requested layers come from one forward pass, which stops after the last of
them; each map or token sequence is reduced on the device as it appears (by its
layout, see ``layouts``), and batches are
written as they come, so memory stays bounded by a few batches however large the
pool.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .layouts import Layout, model_layouts
from .parallel import ordered_map

def preprocess(batch: np.ndarray, mean, std, size: int | None, device) -> torch.Tensor:
    """uint8 N x H x W x 3 -> normalised float N x 3 x size x size on ``device``."""
    x = torch.from_numpy(np.ascontiguousarray(batch)).to(device).permute(0, 3, 1, 2).float() / 255
    if size and x.shape[-1] != size:
        x = nn.functional.interpolate(x, size=(size, size), mode="bilinear",
                                      align_corners=False, antialias=True)
    m = torch.tensor(mean, device=device).view(1, 3, 1, 1)
    s = torch.tensor(std, device=device).view(1, 3, 1, 1)
    return (x - m) / s


class _Stop(Exception):
    """Raised by a hook to end the forward pass once every tapped layer has fired."""


class LayerTaps:
    """Capture named modules' outputs in one forward pass and cut it after the last.

    Each layer keeps its first output, passed through ``reduce(layer, output)`` inside
    the hook, so a full activation map is dropped as soon as its statistic is taken.
    The pass stops once every layer has fired, whatever their order in the network,
    unless ``through``: then it runs to the end and the network's own output is kept
    as ``self.output`` (a classifier's logits).
    """

    def __init__(self, model: nn.Module, layers: list[str],
                 reduce: Callable[[str, torch.Tensor], torch.Tensor] | None = None,
                 through: bool = False):
        modules = dict(model.named_modules())
        missing = [layer for layer in layers if layer not in modules]
        if missing:
            raise KeyError(f"model has no layer {', '.join(map(repr, missing))}")
        self.model, self.layers, self.out = model, list(dict.fromkeys(layers)), {}
        self._reduce = reduce or (lambda layer, t: t)
        self.through, self.output = through, None
        self._handles = [modules[layer].register_forward_hook(self._hook(layer))
                         for layer in self.layers]

    def _hook(self, layer: str):
        def hook(module, inputs, output):
            if layer not in self.out:
                if not torch.is_tensor(output):
                    raise ValueError(f"layer {layer} outputs a {type(output).__name__}, "
                                     f"not a tensor: tap one of its submodules")
                self.out[layer] = self._reduce(layer, output).contiguous()  # not a view
            if len(self.out) == len(self.layers) and not self.through:
                raise _Stop
        return hook

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self.out = {}
        try:
            self.output = self.model(x)
        except _Stop:
            pass
        silent = [layer for layer in self.layers if layer not in self.out]
        if silent:
            raise RuntimeError(f"layer {', '.join(silent)} did not fire during the forward pass")
        return self.out

    def close(self):
        for handle in self._handles:
            handle.remove()


def batches(images, batch_size: int, workers: int = 2) -> Iterator[np.ndarray]:
    """Read ``images`` (array-like, e.g. a Zarr array) in batches, read ahead by
    ``workers`` threads, so decompressing overlaps the forward pass."""
    return ordered_map(lambda s: np.asarray(images[s:s + batch_size]),
                       range(0, len(images), batch_size), workers=workers, ahead=workers)


CPU_FORWARD_BATCH = 64


def forward_chunks(x: torch.Tensor, cpu_batch: int = CPU_FORWARD_BATCH) -> tuple:
    """A batch split into forward passes of at most ``cpu_batch`` images on the CPU.

    Every activation map of a CPU forward is fresh memory, zeroed by the kernel page
    by page: with 512 CIFAR images (a 0.5 GB map in layer1) the page faults cost as
    much time as the arithmetic. In passes of 64 the system time fell 3 to 4x and
    ResNet-50 ran 1.3x (to layer4) and 1.7 to 2.3x (to layer1) faster
    (bench/bench_forward_passes.py). GPUs take the whole batch.
    """
    return x.split(cpu_batch) if x.device.type == "cpu" else (x,)


def layer_layouts(model: nn.Module, layers: list[str], *, shape: tuple[int, int], size, mean,
                  std, device, statistic: str, layout=None) -> dict[str, Layout]:
    """Each layer's layout and channel count, from one forward pass of one blank image;
    the statistic is taken once from it, so a layer it cannot read fails here, before
    any image is streamed. ``layout``: the config's override (one name, or by layer)."""
    taps = LayerTaps(model, layers)
    try:
        probe = np.zeros((1, *shape, 3), np.uint8)
        outs = taps(preprocess(probe, mean, std, size, device))
    finally:
        taps.close()
    layouts = model_layouts(model, {layer: out.shape for layer, out in outs.items()}, layout=layout)
    for layer, out in outs.items():
        layouts[layer].reduce(out, statistic)
    return layouts


def stream_activations(model: nn.Module, layouts: dict[str, Layout], *, images, statistic: str,
                       batch_size: int, size: int | None, mean, std, device,
                       write: Callable[[dict[str, np.ndarray]], None], workers: int = 2,
                       predict: Callable[[np.ndarray], None] | None = None):
    """Compute ``statistic`` of every layer (read by its layout) for every image in one
    forward pass per batch, and pass each batch's rows (layer -> array) to ``write``;
    ``predict``: the pass runs to the network's output, and each batch's argmax (a
    classifier's top-1 class) goes to it."""
    layers = list(layouts)
    taps = LayerTaps(model, layers, lambda layer, t: layouts[layer].reduce(t, statistic),
                     through=predict is not None)
    try:
        for batch in tqdm(batches(images, batch_size, workers),
                          total=-(-len(images) // batch_size),
                          desc=f"activations {', '.join(layers)}", mininterval=5):
            x = preprocess(batch, mean, std, size, device)
            outs, top = [], []
            for chunk in forward_chunks(x):
                outs.append(taps(chunk))
                if predict is not None:
                    top.append(taps.output.argmax(dim=1))
            if predict is not None:
                predict(torch.cat(top).cpu().numpy())
            write({layer: torch.cat([o[layer] for o in outs]).float().cpu().numpy()
                   for layer in taps.layers})
    finally:
        taps.close()
