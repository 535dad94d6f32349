"""What scoring costs on a large pool (CIFAR-10's 50,000 images), before and after the two
changes that made config/cifar10.yaml fit: top-k by partition against a stable full sort,
and the pool's cached embeddings read once into memory against read by index for every
set (the baselines, measured in the same run on the same arrays).

Random responses (50,000 images x 64 units: a CIFAR ResNet's layer3) and random embeddings
stored as the workflow stores them (Zarr, chunks of 1,024 images, Blosc); content does not
change the cost. A "set" reads what one direction set's scores read: its top-5 images, the
MIS tasks' 20 x 20 images and the 10 shadow sets' top-5, for every unit.

Usage: python bench/bench_large_pool_scoring.py [--images 50000] [--units 64]
       [--width 6912] [--sets 4]
"""

import argparse
import json
import tempfile

import numpy as np
import zarr

from superposition import store
from superposition.interpretability import top_k
from timing import machine, timed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=50_000)
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--width", type=int, default=6912)  # the deep-feature metric's features
    ap.add_argument("--sets", type=int, default=4)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    r = rng.standard_normal((a.images, a.units)).astype(np.float32)
    sort_s, sorted_top = timed(lambda: np.argsort(-r, axis=0, kind="stable")[:5].T, 3)
    part_s, top = timed(lambda: top_k(r, 5), 3)
    assert np.array_equal(sorted_top, top)

    with tempfile.TemporaryDirectory() as tmp:
        writer = store.ArrayWriter(f"{tmp}/e.zarr", "embeddings", (a.images, a.width),
                                   "float32", ["image", "feature"], {}, {}, chunk_images=1024)
        for s in range(0, a.images, 1024):
            writer.write(rng.standard_normal((min(1024, a.images - s), a.width), np.float32))
        writer.close()
        array = zarr.open_group(f"{tmp}/e.zarr", mode="r")["embeddings"]
        rows = [rng.integers(0, a.images, a.units * (5 + 400 + 50)) for _ in range(a.sets)]
        lazy = store.LazyRows(array)
        lazy_s, _ = timed(lambda: [lazy[np.unique(i)] for i in rows])
        load_s, held = timed(lambda: array[:])
        rest_s, _ = timed(lambda: [held[np.unique(i)] for i in rows])
    print(json.dumps({
        "machine": machine("cpu"), "images": a.images, "units": a.units, "width": a.width,
        "sets": a.sets,
        "top_k_s": {"stable_sort": round(sort_s, 3), "partition": round(part_s, 3),
                    "speedup": round(sort_s / part_s, 1)},
        "embedding_rows_s": {"read_by_index_every_set": round(lazy_s, 2),
                             "read_once_then_index": round(load_s + rest_s, 2),
                             "speedup": round(lazy_s / (load_s + rest_s), 1)},
    }, indent=1))


if __name__ == "__main__":
    main()
