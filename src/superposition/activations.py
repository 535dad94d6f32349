"""Stream a pool of images through a network and keep one statistic per channel.

Only the requested layer's output is kept (the forward pass stops there), the
spatial map is reduced on the device, and batches are written as they come, so
memory stays bounded by one batch however large the pool.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

STATISTICS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "centre": lambda t: t[:, :, t.shape[2] // 2, t.shape[3] // 2] if t.ndim == 4 else t,
    "mean": lambda t: t.mean(dim=(2, 3)) if t.ndim == 4 else t,
}


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
    """Raised by the hook to end the forward pass once the layer has fired."""


class LayerTap:
    """Capture one named module's output and cut the forward pass there."""

    def __init__(self, model: nn.Module, layer: str):
        modules = dict(model.named_modules())
        if layer not in modules:
            raise KeyError(f"model has no layer {layer!r}")
        self.model, self.out = model, None
        self._handle = modules[layer].register_forward_hook(self._hook)

    def _hook(self, module, inputs, output):
        self.out = output
        raise _Stop

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.out = None
        try:
            self.model(x)
        except _Stop:
            pass
        if self.out is None:
            raise RuntimeError("the layer did not fire during the forward pass")
        return self.out

    def close(self):
        self._handle.remove()


def batches(images, batch_size: int) -> Iterator[np.ndarray]:
    """Read ``images`` (array-like, e.g. a Zarr array) in batches, one ahead."""
    n = len(images)
    starts = list(range(0, n, batch_size))
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(lambda s: np.asarray(images[s:s + batch_size]), starts[0]) if starts else None
        for i, _ in enumerate(starts):
            batch = pending.result()
            if i + 1 < len(starts):
                pending = pool.submit(lambda s: np.asarray(images[s:s + batch_size]), starts[i + 1])
            yield batch


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


def unit_count(model: nn.Module, layer: str, shape: tuple[int, int], size, mean, std, device) -> int:
    tap = LayerTap(model, layer)
    try:
        probe = np.zeros((1, *shape, 3), np.uint8)
        return int(tap(preprocess(probe, mean, std, size, device)).shape[1])
    finally:
        tap.close()


def stream_activations(model: nn.Module, layer: str, images, statistic: str, batch_size: int,
                       size: int | None, mean, std, device, write: Callable[[np.ndarray], None]):
    """Compute ``statistic`` of ``layer`` for every image and pass each batch to ``write``."""
    reduce = STATISTICS[statistic]
    tap = LayerTap(model, layer)
    try:
        for batch in tqdm(batches(images, batch_size), total=-(-len(images) // batch_size),
                          desc=f"activations {layer}", mininterval=5):
            x = preprocess(batch, mean, std, size, device)
            out = torch.cat([reduce(tap(chunk)) for chunk in forward_chunks(x)])
            write(out.float().cpu().numpy())
    finally:
        tap.close()
