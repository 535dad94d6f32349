"""The paper's further analyses, one table per source and layer, and their figures."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .. import store
from ..devices import resolve_device
from ..registry import Registry
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
    m = build_metrics([metric], weights, resolve_device(device), scoring.metric_size,
                      embeddings)[0]
    cache = cached_input(embeddings, metric)
    images = pool_images(pool)
    groups = pool_groups(pool, scoring.one_per_group)
    return (metric_info([m], weights) | {"one_per_group": groups is not None},
            lambda resp: interpretability_index(resp, images, m, scoring.k, groups,
                                                cache)["ii_pairs"])


def _neuron_ii(scores: str, metric: str) -> np.ndarray:
    table = read_table(scores)
    return table[table.metric == metric].ii_pairs.to_numpy()


def _write_analysis(table: pd.DataFrame, attrs: dict, out: str, meta: dict | None = None) -> None:
    for key in ("source", "layer"):
        table.insert(0, key, attrs[key])
    write_csv(table, out, meta or {})


def further_analyses(responses: str, outs: dict[str, str], analyses: dict, pool: str,
                     neurons: str | None, scores: list[str], kmeans: str | None, weights: dict,
                     embeddings: dict, scoring: Scoring, seed: int, device: str) -> None:
    """Every further analysis of one layer named in ``outs`` (analysis -> its table), each
    with its settings from ``analyses``: the responses, the pool and the II scorer are
    loaded once for all of them. ``scores``: the layer's score tables; ``neurons``: its
    neurons' (synergy, split); ``kmeans``: its K-means directions (interpolation)."""
    for name in outs:
        ANALYSES.get(name)  # an unknown name fails before any work, naming the known ones
    ds = store.open_dataset(responses)
    scored = [name for name in outs if ANALYSES.fact(name, "scores_images")]
    meta, score = _scorer(pool, weights, scoring, device, embeddings) if scored else ({}, None)
    layer = Layer(ds["responses"].values, score,
                  _neuron_ii(neurons, scoring.metric) if neurons else None, seed, pool,
                  scores, scoring.metric, kmeans)
    for name, out in outs.items():
        table = ANALYSES.get(name)(layer, **analyses.get(name, {}))
        _write_analysis(table, ds.attrs, out, meta if name in scored else {})


@dataclass(frozen=True)
class Layer:
    """What the further analyses of one layer read."""

    x: np.ndarray  # images x units
    score: Callable | None  # II of every column of a response matrix
    neuron_ii: np.ndarray | None  # II of each unit, from its score table
    seed: int
    pool: str
    scores: list  # the layer's score tables
    metric: str
    kmeans: str | None  # the layer's K-means direction store


# Facts: scores_images, the analysis scores new response columns (it needs the II
# scorer); reads, the direction sets whose stores it reads (neurons: their score table).
ANALYSES: Registry = Registry("analysis")


@ANALYSES.register("synergy", scores_images=True, reads=("neurons",))
def _synergy(layer: Layer, n_pairs: int) -> pd.DataFrame:
    from ..analyses import synergy

    table = synergy(layer.x, layer.neuron_ii, layer.score, n_pairs, layer.seed)
    log.info("synergy > 0 for %d of %d pairs", (table.synergy > 0).sum(), len(table))
    return table


@ANALYSES.register("interpolation", scores_images=True, reads=("kmeans",))
def _interpolation(layer: Layer, n_pairs: int, alphas: list[float]) -> pd.DataFrame:
    from ..analyses import interpolation

    comps = store.open_dataset(layer.kmeans)["components"].values
    return interpolation(layer.x, comps, layer.score, n_pairs, alphas, layer.seed)


@ANALYSES.register("split", scores_images=True, reads=("neurons",))
def _split(layer: Layer) -> pd.DataFrame:
    from ..analyses import split_halves

    return split_halves(layer.x, layer.neuron_ii, layer.score, layer.seed)


@ANALYSES.register("semantics")
def _semantics(layer: Layer) -> pd.DataFrame:
    return semantics_table(layer.scores, layer.pool, layer.metric)


@ANALYSES.register("spectrum")
def _spectrum(layer: Layer, lo: float, hi: float) -> pd.DataFrame:
    from ..analyses import power_law_spectrum

    fit = power_law_spectrum(layer.x.astype(np.float64), lo, hi)
    eig = fit.pop("eigenvalues")
    log.info("power-law exponent alpha = %.3f", fit["alpha"])
    return pd.DataFrame({"rank": np.arange(1, len(eig) + 1), "eigenvalue": eig,
                         "alpha": fit["alpha"], "intercept": fit["intercept"],
                         "fit_first": fit["fit_ranks"][0], "fit_last": fit["fit_ranks"][1]})


def semantics_table(scores: list[str], pool: str, metric: str) -> pd.DataFrame:
    """Purity of the top-k images' labels and factors, per unit or direction, with chance.

    Where the top-k sets took one image per group, an attribute that names the group
    (the photos pool's label: the photograph) has purity 1/k by construction: skipped.
    """
    from ..analyses import chance_purity, top_k_purity

    table = pool_table(pool)
    columns = [c for c in table if c == "label" or c.startswith("factor_")]
    columns = [c for c in columns if table[c].nunique() <= 50]  # categorical ones only
    sidecar = json.loads(Path(scores[0]).with_suffix(".json").read_text())
    if "group" in table and sidecar["metrics"].get(metric, {}).get("one_per_group"):
        columns = [c for c in columns
                   if table.groupby("group")[c].nunique().max() > 1]  # not fixed by the group
    all_scores = read_all(scores)
    all_scores = all_scores[all_scores.metric == metric]
    top = np.array([list(map(int, t.split())) for t in all_scores.top_k])
    k = top.shape[1]
    frames = []
    if not columns:
        log.info("pool %s has no categorical labels or factors: nothing to check", pool)
    for c in columns:
        labels = table[c].to_numpy()
        frames.append(pd.DataFrame({
            "method": all_scores.method.values, "direction": all_scores.direction.values,
            "ii": all_scores.ii_pairs.values, "attribute": c.removeprefix("factor_"),
            "purity": top_k_purity(top, labels), "chance": chance_purity(labels, k)}))
    empty = pd.DataFrame(columns=["method", "direction", "ii", "attribute", "purity",
                                  "chance"])
    return pd.concat(frames) if frames else empty


def figure_analyses(tables: dict[str, list[str]], outs: dict[str, str], metric: str,
                    source: str) -> None:
    """Draw each further analysis from its tables (all layers of a source): analysis ->
    its tables in ``tables``, its figure in ``outs``."""
    from ..plotting import ANALYSIS_FIGURES

    for name, out in outs.items():
        ANALYSIS_FIGURES.get(name)(read_all(tables[name]), metric,
                                   f"{source}: {name} ({metric})", out)
