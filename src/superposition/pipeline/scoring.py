"""Stage 4 and 5: every score of every unit and direction, the chance level, the
known-answer units, and the in-silico psychophysics."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .. import store
from ..analyses import lifetime_sparseness
from ..devices import resolve_device
from ..provenance import provenance
from ..settings import Psychophysics, Scoring
from .io import (all_groups, build_metrics, cached_input, fitted_alphas, metric_info,
                pool_groups, pool_images, pool_table, read_all, read_table, write_csv)

log = logging.getLogger("superposition")


def embed_pool(pool: str, *, metrics: list[str], weights: dict, device: str, metric_size,
               outs: list[str], batch_size: int = 256) -> None:
    """Every image of a pool embedded once under each metric (``outs``: a store each),
    streamed to Zarr, so that the jobs that score read embeddings instead of running the
    metric's network again; for a pool of at most ``POOL_DISTANCES_MAX`` images also its
    whole distance matrix, so that they read each set's distances instead of computing
    them."""
    if len(metrics) != len(outs):
        raise ValueError(f"{len(metrics)} metrics for {len(outs)} embedding stores")
    images = pool_images(pool)
    for metric, out in zip(metrics, outs):
        m = build_metrics([metric], weights=weights, device=resolve_device(device),
                          size=metric_size)[0]
        _embed(images, m, Path(pool).stem, metric_size, device, out, batch_size)


def _embed(images, m, pool: str, metric_size, device: str, out: str, batch_size: int) -> None:
    from tqdm import tqdm

    from ..interpretability import POOL_DISTANCES_MAX, pool_distance_matrix

    width = m.embed(images[:1]).shape[1]
    writer = store.ArrayWriter(out, "embeddings", (len(images), width), "float32",
                               ["image", "feature"], {"image": ("image", np.arange(len(images)))},
                               {"metric": m.name, "pool": pool,
                                "description": m.description, "squared": m.squared,
                                "provenance": provenance(metric=m.name, size=metric_size,
                                                         device=device)},
                               chunk_images=batch_size)
    try:
        for start in tqdm(range(0, len(images), batch_size), desc=f"embed {m.name}",
                          mininterval=10):
            writer.write(m.embed(images[start:start + batch_size]).cpu().numpy())
        if len(images) <= POOL_DISTANCES_MAX:  # small pools: every distance, once
            import torch

            writer.add_array("distances", pool_distance_matrix(
                torch.from_numpy(writer.written()), m), ["image", "other_image"])
    except BaseException:
        writer.abort()
        raise
    writer.close()
    log.info("embedded %d images of %s under %s: %d features, %.0f MB%s", len(images), pool,
             m.name, width, len(images) * width * 4 / 1e6,
             ", and every pairwise distance" if len(images) <= POOL_DISTANCES_MAX else "")


def _scorers(built: list, embeddings: dict, mis: dict, fitted: str | None) -> list[tuple]:
    """(metric, its MIS alpha, the pool's cached embeddings or distances, else None) for
    each built metric: read once per job, however many designs it scores."""
    from ..mis import resolve_alpha

    fits = fitted_alphas(fitted)
    return [(m, resolve_alpha(mis["alpha"], m.name, fits),
             cached_input(embeddings, m.name))
            for m in built]


def _scored(design, images, scorers: list[tuple]):
    """(metric, its MIS alpha, its scores) of a design under each of ``scorers``."""
    from ..scoring import score_units

    for metric, alpha, cache in scorers:
        yield metric, alpha, score_units(design, images, metric=metric, alpha=alpha,
                                         embeddings=cache)


def score_direction_sets(directions: list[str], *, outs: list[str], pool: str, statistics: str,
                         embeddings: dict, weights: dict, scoring: Scoring, seed: int,
                         device: str, fitted: str | None = None) -> None:
    """II, MIS and the bland-image control (``ii_lowlevel``, ``ii_excess``) of every
    direction of a layer's sets under each metric, one table per set, the settings in
    its sidecar. The pool, its statistics and its metrics are loaded once for all sets.
    ``embeddings``: the pool's cached embeddings per metric (metric -> Zarr store)."""
    if len(directions) != len(outs):
        raise ValueError(f"{len(directions)} direction sets for {len(outs)} score tables")
    images = pool_images(pool)
    groups = pool_groups(pool, scoring.one_per_group)
    every_group = all_groups(pool)
    stats = basis_table(pd.read_csv(statistics), scoring.lowlevel_baseline, statistics)
    built = build_metrics(scoring.metrics, weights=weights, device=resolve_device(device),
                          size=scoring.metric_size, embeddings=embeddings)
    scorers = _scorers(built, embeddings, scoring.mis, fitted)
    for path, out in zip(directions, outs):
        _score_set(store.open_dataset(path), out, images, groups, every_group, stats, scorers,
                   embeddings, weights, scoring, seed)


def _score_set(ds: xr.Dataset, out: str, images, groups, every_group, stats, scorers: list,
               embeddings: dict, weights: dict, scoring: Scoring, seed: int) -> None:
    from ..lowlevel import basis_columns
    from ..scoring import design_scores, varying

    resp, names = ds["responses"].values, ds["direction"].values
    # a set's dead atoms: left out of its scores, counted; the neurons stay whole (every
    # unit is one, and the further analyses read their scores by position)
    neurons = ds.attrs["method"] == "neurons"
    alive = np.ones(resp.shape[1], bool) if neurons else varying(resp)
    dead = int((~alive).sum())
    if alive.sum() < 1:
        raise ValueError(f"every direction of {ds.attrs['method']} at {ds.attrs['layer']} is "
                         f"constant over the pool: nothing to score")
    if dead:
        log.warning("%s %s: %d of %d directions never vary over the pool (dead atoms): left "
                    "out of the scores, counted in the dead column", ds.attrs["layer"],
                    ds.attrs["method"], dead, len(alive))
        resp, names = resp[:, alive], names[alive]
    stable = ds.attrs.get("stability") or {}  # measured where the set was fitted twice
    design = design_scores(resp, scoring.k, seed=seed, mis=scoring.mis, statistics=stats,
                           baseline=scoring.lowlevel_baseline, groups=groups,
                           pool_groups=every_group)
    frames, alphas = [], {}
    for metric, alphas[metric.name], scores in _scored(design, images, scorers):
        frames.append(pd.DataFrame({
            "source": ds.attrs["source"], "layer": ds.attrs["layer"],
            "method": ds.attrs["method"], "direction": names,
            "metric": metric.name, "ii_pairs": scores["ii_pairs"], "ii_code": scores["ii_code"],
            "mis": scores["mis"], "ii_lowlevel": scores["ii_lowlevel"],
            "ii_excess": scores["ii_excess"], "lowlevel_r2": scores["lowlevel_r2"],
            "top_k": [" ".join(map(str, row)) for row in scores["top_k"]],
            "top_groups": (["|".join(map(str, row)) for row in every_group[scores["top_k"]]]
                           if every_group is not None else ""),
            "sparsity": lifetime_sparseness(resp), "dead": dead,
            "stability": stable.get("stability", np.nan),
            "stability_chance": stable.get("stability_chance", np.nan)}))
        log.info("%s %s: mean II (%s) = %.4f, II excess over the low-level shadows = %.4f, "
                 "mean MIS = %.4f over %d directions", ds.attrs["layer"], ds.attrs["method"],
                 metric.name, scores["ii_pairs"].mean(), scores["ii_excess"].mean(),
                 scores["mis"].mean(), len(resp.T))
    settings = {"k": scoring.k, "one_per_group": groups is not None, "embeddings": embeddings,
                "lowlevel_baseline": scoring.lowlevel_baseline
                | {"statistics": basis_columns(scoring.lowlevel_baseline["basis"])}
                | design.info}
    meta = {name: info | settings | {"mis": scoring.mis | {"alpha": alphas[name]}}
            for name, info in metric_info([m for m, _, _ in scorers], weights).items()}
    write_csv(pd.concat(frames), out, meta)


def basis_table(table: pd.DataFrame, baseline: dict, statistics: str) -> np.ndarray:
    """(images x features) the columns of a pool's statistics table (read from
    ``statistics``) that the low-level baseline's basis reads."""
    from ..lowlevel import basis_columns

    columns = basis_columns(baseline["basis"])
    missing = [c for c in columns if c not in table]
    if missing:
        raise ValueError(f"{statistics} lacks the columns {missing} of the "
                         f"{baseline['basis']!r} basis: rerun its image_statistics job "
                         f"(snakemake --forcerun image_statistics)")
    return table[columns].to_numpy()


def calibrate(pool: str, *, statistics: str, embeddings: dict, weights: dict,
              scoring: Scoring, seed: int, device: str, out: str,
              fitted: str | None = None) -> None:
    """Every score of the pool's known-answer units (see :mod:`.calibration`), scored
    by the same code and settings as real units: one row per unit and metric, the II
    given above the pool's chance level (the mean II of ``CHANCE_SETS`` random sets,
    taken as the top sets are, so that its own error stays well inside the checks'
    band), ``ii_excess`` under the configured shadow and each candidate of
    ``calibration.shadows`` (``ii_excess[<name>]``)."""
    from ..calibration import CHANCE_SETS, known_answer, known_units, photograph_units
    from ..interpretability import random_baseline, set_ii
    from ..lowlevel import STATISTICS, shadow_sets
    from ..probes import probe_statistics
    from ..scoring import design_scores

    calibration, mis, k = scoring.calibration, scoring.mis, scoring.k
    images = pool_images(pool)
    table = pool_table(pool)
    groups = pool_groups(pool, scoring.one_per_group)
    every_group = all_groups(pool)
    names = calibration["concepts"].get(Path(pool).stem, _default_concepts(table))
    missing = [a for a in names if a != "label" and f"factor_{a}" not in table]
    if missing:
        raise ValueError(f"calibration.concepts names {missing}, which pool {pool} lacks; it "
                         f"has label and {[c[7:] for c in table if c.startswith('factor_')]}")
    concepts = {a: table["label" if a == "label" else f"factor_{a}"].to_numpy() for a in names}
    stats = pd.read_csv(statistics)
    probes = np.concatenate([probe_statistics(images[s:s + 256])
                             for s in range(0, len(images), 256)])
    n_units = calibration["n_units"]
    resp, units = known_units(stats[list(STATISTICS)].to_numpy(), probes, seed, k=k,
                              n_units=n_units, groups=groups, concepts=concepts,
                              sparse_fraction=calibration["sparse_fraction"],
                              concept_share=0.8 * mis["quantile"])
    shadows = {"": scoring.lowlevel_baseline} | {
        f"[{name}]": scoring.lowlevel_baseline | design
        for name, design in calibration["shadows"].items()}
    features = {key: basis_table(stats, b, statistics) for key, b in shadows.items()}
    batches = [(resp, units, groups)]
    if every_group is not None:
        photo_resp, photo_units = photograph_units(every_group, seed, n_units=n_units, k=k)
        batches.append((photo_resp, photo_units, None))
    built = build_metrics(scoring.metrics, weights=weights, device=resolve_device(device),
                          size=scoring.metric_size, embeddings=embeddings)

    def designed(b_resp, b_units, b_groups):
        """A batch of units with its design and each candidate's shadow sets: drawn once,
        however many metrics score them; shadows only where a unit type has a known
        ``ii_excess``."""
        if not any(known_answer(t, "ii_excess") for t in set(b_units.unit_type)):
            return b_units, design_scores(b_resp, k, seed=seed, mis=mis, groups=b_groups), {}
        design = design_scores(b_resp, k, seed=seed, mis=mis, statistics=features[""],
                               baseline=shadows[""], groups=b_groups,
                               pool_groups=every_group)
        others = {key: shadow_sets(b_resp, features[key], k, seed=seed, groups=b_groups,
                                   **baseline)[0] for key, baseline in shadows.items() if key}
        return b_units, design, others

    fixed = [designed(*batch) for batch in batches]
    frames = []
    for metric, alpha, cache in _scorers(built, embeddings, mis, fitted):
        chance = random_baseline(len(images), images, metric=metric, k=k, n_sets=CHANCE_SETS,
                                 seed=seed, groups=groups,
                                 cache=cache)["ii_pairs"]
        parts = []
        for b_units, design, others in fixed + [designed(*_neighbourhoods(
                images, metric, cache, seed, n_units, k, groups))]:
            (_, _, scores), = _scored(design, images, [(metric, alpha, cache)])
            scored = b_units.assign(ii=scores["ii_pairs"] - chance.mean(),
                                    mis=scores["mis"], ii_excess=scores.get("ii_excess", np.nan),
                                    lowlevel_r2=scores.get("lowlevel_r2", np.nan))
            for key, sets in others.items():
                shadow_ii = set_ii(sets.reshape(-1, k), images, metric=metric,
                                   cache=cache)["ii_pairs"]
                scored[f"ii_excess{key}"] = scores["ii_pairs"] - shadow_ii.reshape(
                    len(sets), -1).mean(1)
            parts.append(scored)
        frames.append(pd.concat(parts).assign(pool=Path(pool).stem, metric=metric.name,
                                               chance_sd=chance.std()))
        by = frames[-1].groupby("unit_type", sort=False)[["ii", "mis", "ii_excess"]].mean()
        log.info("known-answer units of %s under %s (mean per type):\n%s", pool, metric.name,
                 by.round(3).to_string())
    settings = {"k": k, "one_per_group": groups is not None, "mis": mis,
                "lowlevel_baseline": scoring.lowlevel_baseline, "calibration": calibration}
    meta = {name: info | settings for name, info in metric_info(built, weights).items()}
    write_csv(pd.concat(frames), out, meta)


def _neighbourhoods(images, metric, cache, seed: int, n_units: int, k: int, groups):
    """The neighbourhood units of ``metric``: (responses, table, groups)."""
    from ..calibration import neighbourhood_units
    from ..interpretability import set_ii

    def distances(anchors):
        pairs = np.stack(np.broadcast_arrays(np.arange(len(images))[:, None], anchors[None]),
                         -1).reshape(-1, 2)
        d = -set_ii(pairs, images, metric=metric, cache=cache)["ii_pairs"]
        return d.reshape(len(images), len(anchors))

    distances.n_images = len(images)
    resp, units = neighbourhood_units(distances, seed, n_units=n_units, k=k, groups=groups)
    return resp, units, groups


def _default_concepts(table: pd.DataFrame) -> list[str]:
    """A pool's label, unless it names the group (the photos pool's photograph)."""
    same = "group" in table and (table.groupby("group").label.nunique() == 1).all()
    return [] if same else ["label"]


def calibration(units: list[str], *, settings: dict, lowlevel_metrics: list[str], out_table: str,
                out_figure: str) -> None:
    """The calibration table of every scored pool, and its figure. Under a low-level
    control metric (``lowlevel_metrics``) a concept has no known answer: not checked."""
    from ..calibration import calibration_table
    from ..plotting import calibration as plot_calibration

    all_units = read_all(units)
    concepts = all_units.unit_type.isin(["concept", "sparse_concept"])
    all_units = all_units[~(concepts & all_units.metric.isin(lowlevel_metrics))]
    table = calibration_table(all_units, {"ii": settings["ii_tolerance"],
                                          "mis": settings["mis_tolerance"]})
    plot_calibration(table, out_figure)
    write_csv(table, out_table, {"tolerance": f"II: {settings['ii_tolerance']} x scale, the "
                                              f"SD of the pool's random-set II; MIS: "
                                              f"{settings['mis_tolerance']}",
                                 "passes": "= v: the 95% CI meets v +- tolerance; "
                                           "> v: the CI lies above v"})
    for row in table[~table.passes].itertuples():
        log.warning("calibration fails: %s %s %s %s: mean %.3f [%.3f, %.3f], expected %s",
                    row.pool, row.metric, row.unit_type, row.score, row.mean, row.ci_low,
                    row.ci_high, row.expected)
    log.info("calibration: %d of %d checks pass", table.passes.sum(), len(table))


def random_baseline(pool: str, *, weights: dict, embeddings: dict, scoring: Scoring, seed: int,
                    device: str, out: str) -> None:
    """II of ``scoring.n_random`` random k-image sets under each metric: the chance level,
    read from the pool's cached embeddings or distances where ``embeddings`` has them."""
    from ..interpretability import random_baseline as baseline

    n_sets = scoring.n_random
    images = pool_images(pool)
    groups = pool_groups(pool, scoring.one_per_group)
    frames = []
    built = build_metrics(scoring.metrics, weights=weights, device=resolve_device(device),
                          size=scoring.metric_size, embeddings=embeddings)
    for metric in built:
        scores = baseline(len(images), images, metric=metric, k=scoring.k, n_sets=n_sets,
                          seed=seed, groups=groups, cache=cached_input(embeddings, metric.name))
        frames.append(pd.DataFrame({"pool": Path(pool).stem, "metric": metric.name,
                                    "set": np.arange(n_sets), "ii_pairs": scores["ii_pairs"],
                                    "ii_code": scores["ii_code"]}))
    write_csv(pd.concat(frames), out, {name: info | {"one_per_group": groups is not None}
                                       for name, info in metric_info(built, weights).items()})


def psychophysics(directions: list[str], *, outs: list[str], pool: str, weights: dict,
                  embeddings: dict, settings: Psychophysics, scoring: Scoring, seed: int,
                  device: str) -> None:
    """In-silico 2-AFC psychophysics (``settings``: the config's psychophysics section)
    of a layer's direction sets under the primary metric, one table per set; the pool's
    cached embeddings are read where ``embeddings`` has them."""
    from ..psychophysics import accuracy_table, design_trials, run_2afc

    if len(directions) != len(outs):
        raise ValueError(f"{len(directions)} direction sets for {len(outs)} tables")
    metric = scoring.metric
    m = build_metrics([metric], weights=weights, device=resolve_device(device),
                      size=scoring.metric_size, embeddings=embeddings)[0]
    cache = cached_input(embeddings, metric)
    images = pool_images(pool)
    for path, out in zip(directions, outs):
        ds = store.open_dataset(path)
        design = design_trials(ds["responses"].values, settings.n_references,
                               quantiles=list(settings.quantiles), n_trials=settings.n_trials,
                               band=settings.band, seed=seed)
        result = run_2afc(design, images, metric=m, pooling=settings.pooling, cache=cache)
        table = accuracy_table(result, list(ds["direction"].values), list(settings.quantiles))
        table.insert(0, "source", ds.attrs["source"])
        table.insert(1, "layer", ds.attrs["layer"])
        table.insert(2, "method", ds.attrs["method"])
        table["metric"], table["pooling"] = m.name, settings.pooling
        write_csv(table, out, metric_info([m], weights))


def catch_trials(pools: dict[str, str], *, weights: dict, scoring: Scoring, pooling: str,
                 seed: int, device: str, out: str) -> None:
    """The IMI catch-trial units of each ``imi_stimuli`` pool (name -> store) under every
    scoring metric: II of the max set against random sets of the unit's own images, the
    in-silico 2-AFC accuracy and MIS on max-versus-min tasks
    (:mod:`superposition.catch_trials`)."""
    from ..catch_trials import EASY, is_easy, unit_scores
    from ..interpretability import pool_distance_matrix
    from ..mis import resolve_alpha

    built = build_metrics(scoring.metrics, weights=weights, device=resolve_device(device),
                          size=scoring.metric_size)
    rows = []
    for name, path in pools.items():
        table = pool_table(path)
        images = pool_images(path)
        for metric in built:
            distances = pool_distance_matrix(metric.embed(images), metric)
            alpha = resolve_alpha(scoring.mis["alpha"], metric.name)
            rng = np.random.default_rng(seed)
            for unit, t in table.groupby("factor_unit", sort=False):
                idx = t.index.to_numpy()
                found = unit_scores(distances[np.ix_(idx, idx)], k=scoring.k,
                                    n_random=scoring.n_random, alpha=alpha, pooling=pooling,
                                    rng=rng)
                rows.append({"pool": name, "unit": unit, "channel": int(t.factor_channel.iloc[0]),
                             "metric": metric.name, **found, "mis_alpha": alpha,
                             "easy": is_easy(found)})
                log.info("%s %s under %s: II percentile %.3f, accuracy %.3f, MIS %.3f",
                         name, unit, metric.name, found["ii_percentile"], found["accuracy"],
                         found["mis"])
    write_csv(pd.DataFrame(rows), out, metric_info(built, weights) | {
        "easy": f"a unit is easy for a score when {EASY} are met (people answer these "
                f"catch trials correctly almost always)",
        "k": scoring.k, "n_random": scoring.n_random, "pooling": pooling})
