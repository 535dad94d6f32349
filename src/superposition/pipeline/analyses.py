"""The paper's further analyses, one table per source and layer, and their figures."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .. import store
from ..devices import resolve_device
from ..settings import Scoring
from .io import (build_metrics, cached_input, metric_info, pool_groups, pool_images,
                 pool_table, read_all, read_table, write_csv)

log = logging.getLogger("superposition")


def _scorer(pool: str, weights: dict, scoring: Scoring, device: str, embeddings: dict):
    """II (the primary metric) of every column of a response matrix over ``pool``, top-k
    sets as the score tables take them, read from the pool's cached embeddings or
    distances where ``embeddings`` has them; and the record of which metric produced it."""
    from ..interpretability import interpretability_index

    metric = scoring.metric
    m = build_metrics([metric], weights=weights, device=resolve_device(device),
                      size=scoring.metric_size, embeddings=embeddings)[0]
    cache = cached_input(embeddings, metric)
    images = pool_images(pool)
    groups = pool_groups(pool, scoring.one_per_group)
    return (metric_info([m], weights) | {"one_per_group": groups is not None},
            lambda resp: interpretability_index(resp, images, metric=m, k=scoring.k, groups=groups,
                                                cache=cache)["ii_pairs"])


def _neuron_ii(scores: str, metric: str) -> np.ndarray:
    table = read_table(scores)
    return table[table.metric == metric].ii_pairs.to_numpy()


def _write_analysis(table: pd.DataFrame, attrs: dict, out: str, meta: dict | None = None) -> None:
    for key in ("source", "layer"):
        table.insert(0, key, attrs[key])
    write_csv(table, out, meta or {})


def further_analyses(responses: str, *, outs: dict[str, str], analyses: dict, pool: str,
                     neurons: str | None, scores: list[str], kmeans: str | None, weights: dict,
                     embeddings: dict, scoring: Scoring, seed: int, device: str) -> None:
    """Every further analysis of one layer named in ``outs`` (analysis -> its table), each
    with its settings from ``analyses``: the responses, the pool and the II scorer are
    loaded once for all of them. ``scores``: the layer's score tables; ``neurons``: its
    neurons' (synergy, split); ``kmeans``: its K-means directions (interpolation)."""
    from ..analyses import ANALYSES, Layer

    for name in outs:
        ANALYSES.get(name)  # an unknown name fails before any work, naming the known ones
    ds = store.open_dataset(responses)
    scored = [name for name in outs if ANALYSES.fact(name, "scores_images")]
    meta, score = _scorer(pool, weights, scoring, device, embeddings) if scored else ({}, None)
    labelled = any(ANALYSES.fact(name, "labels") for name in outs)
    layer = Layer(ds["responses"].values, score,
                  _neuron_ii(neurons, scoring.metric) if neurons else None, seed,
                  store.open_dataset(kmeans)["components"].values if kmeans else None,
                  *(_labelled_scores(scores, pool, scoring.metric) if labelled else ()))
    for name, out in outs.items():
        table = ANALYSES.get(name)(layer, **analyses.get(name, {}))
        _write_analysis(table, ds.attrs, out, meta if name in scored else {})


def _labelled_scores(scores: list[str], pool: str, metric: str):
    """The layer's score rows under ``metric``, and the pool's attributes whose purity
    the top-k sets can show: its categorical labels and factors (50 values at most),
    less those that name the group where the top-k sets took one image per group (the
    photos pool's label, the photograph: purity 1/k by construction)."""
    table = pool_table(pool)
    columns = [c for c in table if c == "label" or c.startswith("factor_")]
    columns = [c for c in columns if table[c].nunique() <= 50]  # categorical ones only
    sidecar = json.loads(Path(scores[0]).with_suffix(".json").read_text())
    if "group" in table and sidecar["metrics"].get(metric, {}).get("one_per_group"):
        columns = [c for c in columns
                   if table.groupby("group")[c].nunique().max() > 1]  # not fixed by the group
    if not columns:
        log.info("pool %s has no categorical labels or factors: nothing to check", pool)
    all_scores = read_all(scores)
    return all_scores[all_scores.metric == metric], table[columns]


def figure_analyses(tables: dict[str, list[str]], *, outs: dict[str, str], metric: str,
                    source: str) -> None:
    """Draw each further analysis from its tables (all layers of a source): analysis ->
    its tables in ``tables``, its figure in ``outs``."""
    from ..plotting import ANALYSIS_FIGURES

    for name, out in outs.items():
        ANALYSIS_FIGURES.get(name)(read_all(tables[name]), metric,
                                   title=f"{source}: {name} ({metric})", out=out)
