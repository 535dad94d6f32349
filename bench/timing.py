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


def machine(device: str) -> str:
    return (f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch "
            f"threads, device {device}")
