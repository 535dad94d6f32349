"""Shared by the benchmarks: wall time with GPU synchronisation, and the machine."""

import platform
import time

import torch


def timed(fn, repeats: int = 1):
    """Best wall time of ``repeats`` calls, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best, out


class BareForward:
    """The baseline of the activation benchmarks: a model's full forward over images
    already in memory as normalised float tensors, nothing kept; on the CPU in the
    workflow's passes of 64 images unless ``whole``."""

    def __init__(self, model, images, batch: int, mean, std, device):
        from superposition.activations import preprocess

        self.model = model
        self.tensors = [preprocess(images[i:i + batch], mean, std, None, device)
                        for i in range(0, len(images), batch)]

    def __call__(self, whole: bool = False):
        from superposition.activations import forward_chunks

        with torch.no_grad():
            for t in self.tensors:
                for chunk in (t,) if whole else forward_chunks(t):
                    self.model(chunk)


def machine(device: str) -> str:
    return (f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch "
            f"threads, device {device}")


class PeakMemory:
    """Peak resident memory of this process (sampled every 10 ms) and, on a GPU, peak
    allocated device memory, over a ``with`` block; in GiB."""

    def __init__(self):
        import os

        self._page = os.sysconf("SC_PAGE_SIZE")
        self.host_gib = self.device_gib = 0.0

    def _rss(self) -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * self._page

    def _sample(self):
        while not self._done.wait(0.01):
            self._peak = max(self._peak, self._rss())

    def __enter__(self):
        import threading

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        self._peak, self._done = self._rss(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.host_gib = max(self._peak, self._rss()) / 2**30
        if torch.cuda.is_available():
            self.device_gib = torch.cuda.max_memory_allocated() / 2**30
