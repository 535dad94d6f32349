"""Every per-unit score of a response matrix in one embedding pass.

Per unit or direction: the II of its top-k images (optionally one per group), the
MIS of its automated 2-AFC tasks, and the II of its low-level shadows' top-k sets
(the bland-image control, ``ii_excess``; see :mod:`.lowlevel`). Which
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
from .lowlevel import shadow_sets, shared_groups
from .metrics import Metric
from .mis import design_tasks, unit_mis


@dataclass
class ScoreDesign:
    """The image indices every score of every unit looks at."""

    top: np.ndarray  # units x k: the top-k sets of the II
    tasks: np.ndarray  # units x N x 2(K+1): the MIS tasks
    shadows: np.ndarray | None = None  # units x sets x k: the low-level shadows' top-k
    r2: np.ndarray | None = None  # per unit: the variance the statistics explain
    info: dict | None = None  # how the shadow sets were drawn


def design_scores(responses: np.ndarray, k: int, *, seed: int, mis: dict,
                  statistics: np.ndarray | None = None, baseline: dict | None = None,
                  groups: np.ndarray | None = None,
                  pool_groups: np.ndarray | None = None) -> ScoreDesign:
    """Top-k sets and each side of the MIS tasks (one image per group where ``groups``
    are given), and, given per-image ``statistics`` (the columns of the baseline's
    basis) and ``baseline`` settings (``lowlevel.BASELINE_DEFAULTS``), the low-level
    shadows' top-k sets, for every column of ``responses``. ``pool_groups``: the pool's
    groups, to count how many shadow images share a group with their top set."""
    top = top_k(responses, k, groups=groups)
    tasks = design_tasks(responses, mis["n_references"], n_tasks=mis["n_tasks"],
                         quantile=mis["quantile"], seed=seed,
                         groups=groups)
    if statistics is None:
        return ScoreDesign(top, tasks)
    sets, r2 = shadow_sets(responses, statistics, k, seed=seed, groups=groups, **baseline)
    pool_groups = groups if pool_groups is None else pool_groups
    info = {"mean_r2": float(r2.mean()),
            "shadow_images_from_top_groups": shared_groups(top, sets, pool_groups)}
    return ScoreDesign(top, tasks, sets, r2, info)


def varying(responses: np.ndarray) -> np.ndarray:
    """Which directions vary over the pool. One that never does (a dictionary's dead atom,
    all zeros) has no top images: any k of the pool tie, so a score of it would be one
    arbitrary set's."""
    return responses.max(0) > responses.min(0)


def score_units(design: ScoreDesign, images, *, metric: Metric, alpha: float | None,
                embeddings=None, max_bytes: int = EMBEDDING_BUDGET) -> dict[str, np.ndarray]:
    """II (both conventions), MIS (with sigmoid scale ``alpha``, None: hard accuracy)
    and, where the design has shadow sets, the bland-image control: ``ii_lowlevel``
    (their mean II), ``ii_excess`` = II - ii_lowlevel and ``lowlevel_r2``.

    ``embeddings``: the pool's embeddings under ``metric`` (images x features, e.g. a
    Zarr array), read instead of embedding the images anew.
    """
    units, k = design.top.shape
    n_tasks = design.tasks.shape[1]
    blocks = [design.top, design.tasks.reshape(units, -1)]
    if design.shadows is not None:
        blocks.append(design.shadows.reshape(units, -1))
    edges = np.cumsum([b.shape[1] for b in blocks])[:-1]
    parts = []
    for emb, local in embedded_chunks(np.concatenate(blocks, axis=1), images, metric=metric,
                                      max_bytes=max_bytes, cache=embeddings):
        own, task_rows, *rest = np.split(local, edges, axis=1)
        out = ii_from_distances(set_distances(own, emb, metric=metric))
        out["mis"] = unit_mis(task_rows.reshape(len(local), n_tasks, -1), emb, metric=metric,
                              alpha=alpha)
        if rest:
            ii = ii_from_distances(set_distances(rest[0].reshape(-1, k), emb, metric=metric))
            out["ii_lowlevel"] = ii["ii_pairs"].reshape(len(local), -1).mean(1)
        parts.append(out)
    scores = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    if "ii_lowlevel" in scores:
        scores["ii_excess"] = scores["ii_pairs"] - scores["ii_lowlevel"]
        scores["lowlevel_r2"] = design.r2
    return scores | {"top_k": design.top}
