"""Every per-unit score of a response matrix in one embedding pass.

Per unit or direction: the II of its top-k images (optionally one per group), the
MIS of its automated 2-AFC tasks, and the II of random image sets matched to its
top-k set in low-level statistics (the bland-image control, ``ii_excess``). Which
images each score looks at (the design) depends on the responses, not on the metric,
so it is drawn once per response matrix; all its image sets then go through one
chunked embedding pass per metric, each image embedded (or read) once per chunk
however many units, tasks and sets use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .interpretability import (EMBEDDING_BUDGET, embedded_chunks, ii_from_distances,
                               set_distances, top_k)
from .lowlevel import matched_sets
from .metrics import Metric
from .mis import design_tasks, unit_mis


@dataclass
class ScoreDesign:
    """The image indices every score of every unit looks at."""

    top: np.ndarray  # units x k: the top-k sets of the II
    tasks: np.ndarray  # units x N x 2(K+1): the MIS tasks
    matched: np.ndarray | None = None  # units x sets x k: the matched random sets


def pool_requirements(k: int, mis: dict, matched: dict) -> dict[str, int]:
    """The fewest images a pool needs for each score, keyed by the settings that ask
    for them, so a config whose pool is too small is refused before any job runs."""
    import math

    need_mis = int(mis["n_references"] / mis["quantile"])  # smallest N with enough per side
    while math.ceil(mis["quantile"] * need_mis) < mis["n_references"] + 1:
        need_mis += 1
    return {f"scoring.k {k}": k,
            f"scoring.mis (n_references {mis['n_references']} in quantile "
            f"{mis['quantile']:g})": need_mis,
            f"scoring.matched_baseline (n_neighbours {matched['n_neighbours']} + k + 1)":
                matched["n_neighbours"] + k + 1}


def design_scores(responses: np.ndarray, k: int, seed: int, mis: dict,
                  statistics: np.ndarray | None = None, matched: dict | None = None,
                  groups: np.ndarray | None = None) -> ScoreDesign:
    """Top-k sets (one image per group where ``groups`` are given), MIS tasks and, given
    per-image ``statistics`` and ``matched`` settings (``n_sets``, ``n_neighbours``),
    the matched random sets, for every column of ``responses``."""
    top = top_k(responses, k, groups=groups)
    tasks = design_tasks(responses, mis["n_references"], mis["n_tasks"], mis["quantile"], seed)
    sets = (None if statistics is None else
            matched_sets(top, statistics, matched["n_sets"], matched["n_neighbours"], seed,
                         groups))
    return ScoreDesign(top, tasks, sets)


def score_units(design: ScoreDesign, images, metric: Metric, alpha: float, embeddings=None,
                max_bytes: int = EMBEDDING_BUDGET) -> dict[str, np.ndarray]:
    """II (both conventions), MIS (with sigmoid scale ``alpha``) and, where the design has
    matched sets, their mean II ``ii_matched`` and ``ii_excess`` = II - ii_matched.

    ``embeddings``: the pool's embeddings under ``metric`` (images x features, e.g. a
    Zarr array), read instead of embedding the images anew.
    """
    units, k = design.top.shape
    n_tasks = design.tasks.shape[1]
    blocks = [design.top, design.tasks.reshape(units, -1)]
    if design.matched is not None:
        blocks.append(design.matched.reshape(units, -1))
    edges = np.cumsum([b.shape[1] for b in blocks])[:-1]
    parts = []
    for emb, local in embedded_chunks(np.concatenate(blocks, axis=1), images, metric,
                                      max_bytes, embeddings):
        own, task_rows, *rest = np.split(local, edges, axis=1)
        out = ii_from_distances(set_distances(own, emb, metric))
        out["mis"] = unit_mis(task_rows.reshape(len(local), n_tasks, -1), emb, metric, alpha)
        if rest:
            ii = ii_from_distances(set_distances(rest[0].reshape(-1, k), emb, metric))
            out["ii_matched"] = ii["ii_pairs"].reshape(len(local), -1).mean(1)
        parts.append(out)
    scores = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    if "ii_matched" in scores:
        scores["ii_excess"] = scores["ii_pairs"] - scores["ii_matched"]
    return scores | {"top_k": design.top}
