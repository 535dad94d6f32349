"""Every per-unit score of a response matrix in one embedding pass.

Per unit or direction: the II of its top-k images (optionally one per group), the
MIS of its automated 2-AFC tasks, and the II of random image sets matched to its
top-k set in low-level statistics (the bland-image control, ``ii_excess``). All
these image sets go through one chunked embedding pass, so each image is embedded
once per chunk however many units, tasks and sets use it.
"""

from __future__ import annotations

import numpy as np

from .interpretability import (EMBEDDING_BUDGET, embedded_chunks, ii_from_distances,
                               set_distances, top_k)
from .lowlevel import matched_sets
from .metrics import Metric
from .mis import design_tasks, unit_mis


def score_units(responses: np.ndarray, images, metric: Metric, k: int, seed: int, mis: dict,
                statistics: np.ndarray | None = None, matched: dict | None = None,
                groups: np.ndarray | None = None, embeddings=None,
                max_bytes: int = EMBEDDING_BUDGET) -> dict[str, np.ndarray]:
    """II (both conventions), MIS and, given per-image ``statistics`` and ``matched``
    settings (``n_sets``, ``n_neighbours``), the matched baseline ``ii_matched`` and
    ``ii_excess`` = II - ii_matched, for every column of ``responses``.

    ``embeddings``: the pool's embeddings under ``metric`` (images x features, e.g.
    a Zarr array), read instead of embedding the images anew.
    """
    units = responses.shape[1]
    top = top_k(responses, k, groups=groups)
    n_tasks = mis["n_tasks"]
    tasks = design_tasks(responses, mis["n_references"], n_tasks, mis["quantile"], seed)
    blocks = [top, tasks.reshape(units, -1)]
    if statistics is not None:
        sets = matched_sets(top, statistics, matched["n_sets"], matched["n_neighbours"], seed,
                            groups)
        blocks.append(sets.reshape(units, -1))
    edges = np.cumsum([b.shape[1] for b in blocks])[:-1]
    parts = []
    for emb, local in embedded_chunks(np.concatenate(blocks, axis=1), images, metric,
                                      max_bytes, embeddings):
        own, task_rows, *rest = np.split(local, edges, axis=1)
        out = ii_from_distances(set_distances(own, emb, metric))
        out["mis"] = unit_mis(task_rows.reshape(len(local), n_tasks, -1), emb, metric,
                              mis["alpha"])
        if rest:
            flat = rest[0].reshape(-1, k)
            ii = ii_from_distances(set_distances(flat, emb, metric))["ii_pairs"]
            out["ii_matched"] = ii.reshape(len(local), -1).mean(1)
        parts.append(out)
    scores = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    if "ii_matched" in scores:
        scores["ii_excess"] = scores["ii_pairs"] - scores["ii_matched"]
    return scores | {"top_k": top}
