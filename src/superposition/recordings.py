"""Recorded neural responses -> the (image x unit) contract.

Each adapter reads one dataset format and returns the responses with one row per
image of the dataset's stimulus pool, in the pool's order. Preprocessing
(z-scoring, dropping silent units) is shared by all adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .registry import Registry

ADAPTERS: Registry = Registry("brain dataset adapter")


@dataclass
class Recording:
    responses: np.ndarray  # images x units
    units: list[str]
    info: dict = field(default_factory=dict)


@ADAPTERS.register("npy")
def npy_matrix(path: str, layout: str = "units_by_images", area: str = "unit") -> Recording:
    """A response matrix saved with numpy (.npy), units x images or images x units.

    The format of Cowley et al. 2023 (``responses_<session>.npy``: neurons x images,
    repeat-averaged spike counts per 100 ms).
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"response file {file} does not exist; set brain.<name>.path")
    data = np.load(file, allow_pickle=False).astype(np.float64)
    if data.ndim != 2:
        raise ValueError(f"{file} holds a {data.ndim}-D array; expected a 2-D response matrix")
    if layout == "units_by_images":
        data = data.T
    elif layout != "images_by_units":
        raise ValueError(f"layout must be units_by_images or images_by_units, not {layout!r}")
    return Recording(data, [f"{area}:{i}" for i in range(data.shape[1])],
                     {"file": str(file), "layout": layout})


def preprocess(rec: Recording, n_images: int, pool: str, zscore: bool = False,
               min_std: float = 0.0) -> Recording:
    """Check the rows match the pool, fill nothing, drop flat units, optionally z-score."""
    n_rows = rec.responses.shape[0]
    if n_rows != n_images:
        raise ValueError(f"the response matrix has {n_rows} images but the image pool {pool} has "
                         f"{n_images}: they must be the same stimuli in the same order (check "
                         f"the layout setting and the pool's path)")
    x = rec.responses
    if not np.isfinite(x).all():
        raise ValueError(f"responses contain {int((~np.isfinite(x)).sum())} NaN/inf values; "
                         f"average repeats with a NaN-aware mean before ingesting")
    std = x.std(axis=0)
    keep = std > min_std
    x = x[:, keep]
    if zscore:
        x = (x - x.mean(0)) / x.std(0)
    units = [u for u, k in zip(rec.units, keep) if k]
    return Recording(x, units, rec.info | {"zscore": zscore, "dropped_units":
                                           [u for u, k in zip(rec.units, keep) if not k]})
