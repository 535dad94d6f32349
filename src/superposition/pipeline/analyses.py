"""The paper's further analyses, one table per source and layer, and their figures."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .. import store
from ..devices import resolve_device
from .io import (build_metrics, metric_info, pool_groups, pool_images, pool_table, read_all,
                read_table, write_csv)

log = logging.getLogger("superposition")


def _scorer(pool: str, metric: str, weights: dict, k: int, device: str, metric_size,
            one_per_group: bool):
    """II (primary metric) of every column of a response matrix over ``pool``, top-k
    sets as the score tables take them, and the record of which metric and weights
    produced it."""
    from ..interpretability import interpretability_index

    m = build_metrics([metric], weights, resolve_device(device), metric_size)[0]
    images = pool_images(pool)
    groups = pool_groups(pool, one_per_group)
    return (metric_info([m], weights) | {"one_per_group": groups is not None},
            lambda resp: interpretability_index(resp, images, m, k, groups)["ii_pairs"])


def _neuron_ii(scores: str, metric: str) -> np.ndarray:
    table = read_table(scores)
    return table[table.metric == metric].ii_pairs.to_numpy()


def _write_analysis(table: pd.DataFrame, attrs: dict, out: str, meta: dict | None = None) -> None:
    for key in ("source", "layer"):
        table.insert(0, key, attrs[key])
    write_csv(table, out, meta or {})


def analysis_synergy(responses: str, neuron_scores: str, pool: str, metric: str, weights: dict,
                     k: int, n_pairs: int, seed: int, device: str, metric_size, out: str,
                     one_per_group: bool) -> None:
    from ..analyses import synergy

    ds = store.open_dataset(responses)
    meta, score = _scorer(pool, metric, weights, k, device, metric_size, one_per_group)
    table = synergy(ds["responses"].values, _neuron_ii(neuron_scores, metric), score, n_pairs,
                    seed)
    log.info("synergy > 0 for %d of %d pairs", (table.synergy > 0).sum(), len(table))
    _write_analysis(table, ds.attrs, out, meta)


def analysis_interpolation(responses: str, directions: str, pool: str, metric: str,
                           weights: dict, k: int, n_pairs: int, alphas: list[float], seed: int,
                           device: str, metric_size, out: str,
                           one_per_group: bool) -> None:
    from ..analyses import interpolation

    ds = store.open_dataset(responses)
    comps = store.open_dataset(directions)["components"].values
    meta, score = _scorer(pool, metric, weights, k, device, metric_size, one_per_group)
    table = interpolation(ds["responses"].values, comps, score, n_pairs, alphas, seed)
    _write_analysis(table, ds.attrs, out, meta)


def analysis_split(responses: str, neuron_scores: str, pool: str, metric: str, weights: dict,
                   k: int, seed: int, device: str, metric_size, out: str,
                   one_per_group: bool) -> None:
    from ..analyses import split_halves

    ds = store.open_dataset(responses)
    meta, score = _scorer(pool, metric, weights, k, device, metric_size, one_per_group)
    table = split_halves(ds["responses"].values, _neuron_ii(neuron_scores, metric), score, seed)
    _write_analysis(table, ds.attrs, out, meta)


def analysis_semantics(scores: list[str], pool: str, metric: str, out: str) -> None:
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
            "source": all_scores.source.values, "layer": all_scores.layer.values,
            "method": all_scores.method.values, "direction": all_scores.direction.values,
            "ii": all_scores.ii_pairs.values, "attribute": c.removeprefix("factor_"),
            "purity": top_k_purity(top, labels), "chance": chance_purity(labels, k)}))
    empty = pd.DataFrame(columns=["source", "layer", "method", "direction", "ii", "attribute",
                                  "purity", "chance"])
    write_csv(pd.concat(frames) if frames else empty, out, {})


def analysis_spectrum(responses: str, lo: float, hi: float, out: str) -> None:
    from ..analyses import power_law_spectrum

    ds = store.open_dataset(responses)
    fit = power_law_spectrum(ds["responses"].values.astype(np.float64), lo, hi)
    eig = fit.pop("eigenvalues")
    table = pd.DataFrame({"rank": np.arange(1, len(eig) + 1), "eigenvalue": eig,
                          "alpha": fit["alpha"], "intercept": fit["intercept"],
                          "fit_first": fit["fit_ranks"][0], "fit_last": fit["fit_ranks"][1]})
    log.info("%s: power-law exponent alpha = %.3f", responses, fit["alpha"])
    _write_analysis(table, ds.attrs, out)


def figure_analysis(name: str, tables: list[str], metric: str, title: str, out: str) -> None:
    """Draw one of the further analyses from its tables (all layers of a source)."""
    from ..plotting import ANALYSIS_FIGURES

    ANALYSIS_FIGURES.get(name)(read_all(tables), metric, title, out)
