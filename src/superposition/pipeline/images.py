"""Stage 1: image pools, their statistics, weights and dataset downloads."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .. import store
from ..provenance import provenance
from .io import pool_images, write_csv

log = logging.getLogger("superposition")


def build_pool(name: str, *, kind: str, params: dict, seed: int, out: str,
               workers: int = 2) -> None:
    from ..images import POOLS

    log.info("building image pool %s (%s) with %s", name, kind, params)
    pool = POOLS.get(kind)(seed=seed, **{k: v for k, v in params.items() if k != "store"})
    coords = {"label": np.asarray(pool.labels, dtype=str)}
    coords.update({f"factor_{k}": v for k, v in pool.factors.items()})
    if pool.groups is not None:
        coords["group"] = np.asarray(pool.groups, dtype=str)
    attrs = {"pool": name, "kind": kind, "classes": pool.classes}
    if params.get("store") == "in_place":  # a folder's (the schema's default: pixels)
        _write_in_place(out, params["path"], params["size"], coords, attrs
                        | {"provenance": provenance(kind=kind, seed=seed, **params)})
        return
    write_pool(out, images=pool.images, coords=coords, attrs=attrs, workers=workers,
               final_attrs=lambda: {"provenance": provenance(kind=kind, seed=seed, **params,
                                                 info=pool.info)})


def _write_in_place(out: str, root: str, size: int, coords: dict, attrs: dict) -> None:
    """A folder pool kept in place: file names, sizes and times, no pixels."""
    from ..images import InPlace

    root = Path(root).resolve()
    stats = InPlace.stats(root, coords["factor_file"])
    writer = store.ArrayWriter(out, "file_stat", stats.shape, "int64", ["image", "stat"],
                               {"image": ("image", np.arange(len(stats)))}
                               | {c: ("image", v) for c, v in coords.items()},
                               attrs | {"in_place": {"root": str(root), "size": size}},
                               chunk_images=len(stats))
    writer.write(stats)
    writer.close()
    log.info("kept %d images in place under %s (decoded at %d px as they are read)",
             len(stats), root, size)


def write_pool(out: str, *, images, coords: dict, attrs: dict, workers: int,
               final_attrs=lambda: {}, batch_size: int = 256) -> None:
    """Stream a pool's images (in memory or decoded on demand by ``workers`` threads)
    into its store a batch at a time; ``final_attrs()`` is known once all are read."""
    from tqdm import tqdm

    from ..images import image_batches

    writer = store.PoolWriter(out, images.shape, coords, attrs)
    try:
        for batch in tqdm(image_batches(images, batch_size, workers),
                          total=-(-len(images) // batch_size), desc="images", mininterval=10):
            writer.write(batch)
    except BaseException:
        writer.abort()
        raise
    writer.close(final_attrs())
    log.info("wrote %d images of %s px to %s", len(images), images.shape[1:3], out)


def image_statistics(pool: str, out: str, batch_size: int = 256) -> None:
    """Low-level statistics of every image of a pool (the wide basis, of which the four
    statistics are the first columns), a batch at a time."""
    from ..lowlevel import STATISTICS, WIDE, basis_features

    images = pool_images(pool)
    values = np.concatenate([basis_features(images[s:s + batch_size])
                             for s in range(0, len(images), batch_size)])
    table = pd.DataFrame(values, columns=list(WIDE))
    table.insert(0, "image", np.arange(len(images)))
    write_csv(table, out, {"statistics": list(STATISTICS), "wide": list(WIDE)})
    log.info("low-level statistics of %d images: medians %s", len(images),
             dict(zip(STATISTICS, np.round(np.median(values, 0), 4))))


def fetch_weights(architecture: str, tag: str, out: str, *, mirror: str | None = None) -> None:
    """A model's weight file into its hub directory ``out``, from its URL, or under its
    own name from ``mirror`` (a base URL or folder) where given."""
    from ..models import split_architecture
    from ..weights import fetch, mirrored

    family, name = split_architecture(architecture)
    origin = fetch(mirrored(family.weights_source(name, tag), mirror), out)
    log.info("placed %s %s weights at %s from %s", architecture, tag, out, origin)


def fetch_metric_weights(metric: str, out: str) -> None:
    from ..metrics import METRICS
    from ..weights import fetch

    spec = METRICS.get(metric)
    origin = spec.fetch(out) if spec.fetch else fetch(spec.weights_source(), out)
    log.info("placed weights of metric %s at %s from %s", metric, out, origin)


def download_dataset(dataset: str, *, file: str, base_url: str | None, out: str) -> None:
    from ..downloads import download

    url, digest = download(dataset, file, dest=out, base_url=base_url)
    log.info("downloaded %s to %s (%s)", url, out, digest)
