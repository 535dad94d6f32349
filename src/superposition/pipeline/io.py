"""The I/O edges every step shares: a pool's images, table and groups, its cached
embeddings, the metrics a job builds, and tables with their JSON sidecars."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .. import store
from ..provenance import provenance

log = logging.getLogger("superposition")


def pool_images(path: str):
    """The pool's images, read lazily so batches stream from disk (or, for a folder kept
    in place, are decoded from its files)."""
    return store.open_images(path)


def pool_table(path: str) -> pd.DataFrame:
    """Per-image labels, factors and (where the pool has them) groups of a pool."""
    with xr.open_zarr(path) as ds:
        names = ["label"] + [c for c in ds.coords if c.startswith("factor_") or c == "group"]
        return pd.DataFrame({c: ds[c].values for c in names})


def all_groups(path: str) -> np.ndarray | None:
    """The pool's group per image (e.g. the photograph of a crop), or None."""
    with xr.open_zarr(path) as ds:
        return ds["group"].values if "group" in ds.coords else None


def pool_groups(path: str, one_per_group: bool) -> np.ndarray | None:
    """The pool's group per image when top-k sets take one image per group (and the pool
    has groups), else None."""
    return all_groups(path) if one_per_group else None


IN_MEMORY_EMBEDDINGS = 2 << 30  # bytes: a pool's embeddings up to this size are held whole


def pool_embeddings(path: str):
    """A pool's cached scores' input under one metric: its distance matrix, in memory,
    where the store has one; else its embeddings, in memory up to
    ``IN_MEMORY_EMBEDDINGS`` (a job scores many sets, and each set's rows touch nearly
    every chunk: read once, not once a set), read lazily by image index beyond."""
    import zarr

    group = zarr.open_group(path, mode="r")
    if "distances" in group:
        from ..interpretability import PoolDistances

        return PoolDistances(group["distances"][:])
    embeddings = group["embeddings"]
    if embeddings.nbytes <= IN_MEMORY_EMBEDDINGS:
        return embeddings[:]
    return store.LazyRows(embeddings)


def cached_input(embeddings: dict, metric: str):
    """The pool's cached embeddings or distances under ``metric`` (see
    :func:`pool_embeddings`), or None where ``embeddings`` (metric -> store) lacks it."""
    return pool_embeddings(embeddings[metric]) if metric in embeddings else None


def build_metrics(names: list[str], *, weights: dict[str, str | None], device: str, size,
                  embeddings: dict | None = None):
    """The named metrics; one whose pool embeddings are cached (``embeddings``: metric ->
    Zarr store) is read from its store's record, its network never built."""
    from ..metrics import Metric, build_metric

    def get(name):
        if name in (embeddings or {}):
            import zarr

            attrs = zarr.open_group(embeddings[name], mode="r").attrs
            if "squared" in attrs:  # older stores lack the record: build the metric
                return Metric.cached(name, attrs["description"], bool(attrs["squared"]))
        return build_metric(name, weights.get(name), device=device,
                            size=size)  # weights: name -> hub dir

    return [get(n) for n in names]


def metric_info(metrics, weights: dict) -> dict:
    """Which metric, described, with which weight file, produced the numbers."""
    return {m.name: {"description": m.description, "weights": weights.get(m.name) or "none"}
            for m in metrics}


def fitted_alphas(path: str | None) -> dict[str, float]:
    """metric -> the MIS alpha fitted on IMI (results/imi/mis_alpha.csv), if given."""
    if not path:
        return {}
    table = read_table(path)
    return dict(zip(table.metric, table.alpha))


_TEXT_COLUMNS = {c: str for c in ("source", "layer", "method", "direction", "metric", "pool")}


def read_table(path: str) -> pd.DataFrame:
    """Read a results CSV; names stay text even when they look like numbers (layer '2')."""
    return pd.read_csv(path, dtype=_TEXT_COLUMNS)


def read_all(paths: list[str]) -> pd.DataFrame:
    return pd.concat([read_table(p) for p in paths], ignore_index=True)


def write_csv(df: pd.DataFrame, out: str, meta: dict) -> None:
    """CSV plus a JSON sidecar saying which metric and weights produced it."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    Path(out).with_suffix(".json").write_text(json.dumps(
        {"metrics": meta, "provenance": provenance()}, indent=2))
