"""One function per workflow step: read inputs, call the science, write outputs.

The science modules are pure; this module is the I/O edge the thin scripts in
``scripts/`` call. Every output carries its provenance.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from . import store
from .analyses import lifetime_sparseness
from .devices import resolve_device
from .provenance import provenance

log = logging.getLogger("superposition")


# -- images -------------------------------------------------------------------------------

def build_pool(name: str, kind: str, params: dict, seed: int, out: str,
               workers: int = 2) -> None:
    from .images import POOLS

    log.info("building image pool %s (%s) with %s", name, kind, params)
    keep = params.get("store", "pixels")
    pool = POOLS.get(kind)(seed=seed, **{k: v for k, v in params.items() if k != "store"})
    coords = {"label": np.asarray(pool.labels, dtype=str)}
    coords.update({f"factor_{k}": v for k, v in pool.factors.items()})
    if pool.groups is not None:
        coords["group"] = np.asarray(pool.groups, dtype=str)
    attrs = {"pool": name, "kind": kind}
    if keep == "in_place":
        _write_in_place(out, params["path"], params["size"], coords, attrs
                        | {"provenance": provenance(kind=kind, seed=seed, **params)})
        return
    write_pool(out, pool.images, coords, attrs, workers,
               lambda: {"provenance": provenance(kind=kind, seed=seed, **params,
                                                 info=pool.info)})


def _write_in_place(out: str, root: str, size: int, coords: dict, attrs: dict) -> None:
    """A folder pool kept in place: file names, sizes and times, no pixels."""
    from .images import InPlace

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


def write_pool(out: str, images, coords: dict, attrs: dict, workers: int,
               final_attrs=lambda: {}, batch_size: int = 256) -> None:
    """Stream a pool's images (in memory or decoded on demand by ``workers`` threads)
    into its store a batch at a time; ``final_attrs()`` is known once all are read."""
    from tqdm import tqdm

    from .images import image_batches

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


def image_statistics(pool: str, out: str, batch_size: int = 1024) -> None:
    """Low-level statistics of every image of a pool, a batch at a time."""
    from .lowlevel import STATISTICS, image_statistics as stats

    images = pool_images(pool)
    values = np.concatenate([stats(images[s:s + batch_size])
                             for s in range(0, len(images), batch_size)])
    table = pd.DataFrame(values, columns=list(STATISTICS))
    table.insert(0, "image", np.arange(len(images)))
    _write_csv(table, out, {"statistics": list(STATISTICS)})
    log.info("low-level statistics of %d images: medians %s", len(images),
             dict(zip(STATISTICS, np.round(np.median(values, 0), 4))))


# -- weights ------------------------------------------------------------------------------

def fetch_weights(architecture: str, tag: str, out: str) -> None:
    from .models import split_architecture
    from .weights import fetch

    family, name = split_architecture(architecture)
    origin = fetch(family.weights_source(name, tag), out)
    log.info("placed %s %s weights at %s from %s", architecture, tag, out, origin)


def fetch_metric_weights(metric: str, out: str) -> None:
    from .metrics import METRICS
    from .weights import fetch

    spec = METRICS.get(metric)
    origin = spec.fetch(out) if spec.fetch else fetch(spec.weights_source(), out)
    log.info("placed weights of metric %s at %s from %s", metric, out, origin)


# -- activations --------------------------------------------------------------------------

def cache_activations(pool: str, architecture: str, weights_dir: str | None, weights_tag: str,
                      layers: list[str], statistic: str, batch_size: int, input_size: int | None,
                      device: str, seed: int, source: str, out: str, workers: int = 2,
                      layout=None) -> None:
    """Every layer of one model from one forward pass: ``out/{layer}.zarr`` per layer.
    Each layer is read by its layout (``layout``: the config's override); its
    provenance says which positions or tokens the statistic took."""
    import torch

    from .activations import layer_layouts, stream_activations
    from .models import build_model, split_architecture

    device = resolve_device(device)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    family, _ = split_architecture(architecture)
    model = build_model(architecture, weights_tag, weights_dir, seed).to(device)
    images = pool_images(pool)
    layouts = layer_layouts(model, layers, images.shape[1:3], input_size, family.mean,
                            family.std, device, statistic, layout)
    widths = {layer: lay.channels for layer, lay in layouts.items()}
    writers = {}
    try:
        for layer in layers:
            read = layouts[layer].as_dict() | {"positions": layouts[layer].describe(statistic)}
            attrs = {"source": source, "layer": layer, "kind": "model", "pool": Path(pool).stem,
                     "provenance": provenance(architecture=architecture, weights=weights_tag,
                                              statistic=statistic, input_size=input_size,
                                              device=device, seed=seed, layers_in_pass=layers,
                                              read=read)}
            writers[layer] = store.ResponseWriter(
                Path(out) / f"{layer}.zarr", len(images),
                [f"{layer}:{i}" for i in range(widths[layer])], attrs,
                chunk_images=max(batch_size, 1024))
        stream_activations(model, layouts, images, statistic, batch_size, input_size,
                           family.mean, family.std, device,
                           lambda rows: [writers[layer].write(r) for layer, r in rows.items()],
                           workers)
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    for writer in writers.values():
        writer.close()
    log.info("cached %d images of %s on %s in one pass: %s", len(images), source, device,
             ", ".join(f"{layer} ({layouts[layer].kind}, {widths[layer]} units, "
                       f"{statistic}: {layouts[layer].describe(statistic)})" for layer in layers))


def layer_responses(cache: str, layer: str, out: str, log_file: str) -> None:
    """One layer's store of a model's cache, placed as the layer's response store
    (hard links where the file system allows: no second copy on disk)."""
    how = store.link_store(Path(cache) / f"{layer}.zarr", out)
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    Path(log_file).write_text(f"{out}: {how} from {cache}/{layer}.zarr\n")


# -- brain --------------------------------------------------------------------------------

def synthetic_population(pool: str, source: str, area: str, factors: list,
                         n_neurons: int, features_per_neuron: int, gain: float,
                         baseline: float, seed: int, out_responses: str, out_truth: str,
                         mixing: str = "sparse", intensity: str = "size") -> None:
    """Plant features into a population over a pool: ``factors`` names one group of
    factors (features are their conjunctions, one active per image) or several groups
    (one feature of each active per image). ``intensity``: each image's object size
    scales its features, or ``independent`` uniform 0.5-1.5 per image and feature."""
    from .synthetic import grouped_features, planted_population

    table = pool_table(pool)
    groups = [factors] if all(isinstance(f, str) for f in factors) else factors
    missing = [f for group in groups for f in group if f"factor_{f}" not in table]
    if missing:
        raise ValueError(f"pool {pool} has no factors {missing}; it has "
                         f"{[c[7:] for c in table if c.startswith('factor_')]}")
    fac = {f: table[f"factor_{f}"].to_numpy() for group in groups for f in group}
    z, names = grouped_features(fac, groups)
    if intensity == "independent":
        z = z * np.random.default_rng(seed + 1).uniform(0.5, 1.5, z.shape)
    elif "factor_size" in table:
        size = table["factor_size"].to_numpy()
        z = z * (0.5 + (size - size.min()) / (np.ptp(size) or 1))[:, None]
    pop = planted_population(z, names, n_neurons, features_per_neuron, gain, baseline, seed,
                             mixing)
    settings = dict(factors=factors, n_neurons=n_neurons, features_per_neuron=features_per_neuron,
                    gain=gain, baseline=baseline, seed=seed, mixing=mixing, intensity=intensity)
    units = [f"{area}:{i}" for i in range(n_neurons)]
    store.write_dataset(store.responses_dataset(
        pop.responses, units, {"source": source, "layer": area, "kind": "brain",
                               "pool": Path(pool).stem,
                               "provenance": provenance(adapter="synthetic", **settings)}),
        out_responses)
    truth = xr.Dataset(
        {"mixing": (("unit", "feature"), pop.mixing),
         "features": (("image", "feature"), pop.features),
         "rates": (("image", "unit"), pop.rates)},
        coords={"unit": units, "feature": names, "image": np.arange(len(pop.features))},
        attrs={"provenance": provenance(**settings)})
    store.write_dataset(truth, out_truth)
    log.info("planted %d features into %d neurons over %d images", len(names), n_neurons,
             len(pop.features))


# -- directions ---------------------------------------------------------------------------

def find_directions(responses: str, method: str, k_ratio: float, params: dict, seed: int,
                    out: str, name: str | None = None, device: str = "cpu") -> None:
    """Fit one method; ``name`` labels the set (e.g. ``kmeans@2`` in a K sweep).
    Methods registered as running on a GPU (K-means, the SAEs) get the device."""
    from .directions import find_directions as fit, n_directions
    from .methods import METHODS, SetName

    ds = store.open_dataset(responses)
    x = ds["responses"].values
    n_components = n_directions(k_ratio, x.shape[1], name or method)
    if METHODS.uses_gpu(SetName.parse(method).fitted):
        params = params | {"device": resolve_device(device)}
    log.info("%s on %s: %d images x %d units, K=%d, %s", method, responses, *x.shape,
             n_components, params)
    result = fit(x, method, n_components, seed, **params)
    name = name or method
    if method == "neurons":  # each neuron keeps its own label: V4:5 stays V4:5 when V4:4 was dropped
        names = [str(u) for u in ds["unit"].values]
    else:
        names = [f"{name}:{i}" for i in range(result.components.shape[0])]
    out_ds = xr.Dataset(
        {"components": (("direction", "unit"), result.components.astype(np.float32)),
         "responses": (("image", "direction"), result.responses.astype(np.float32))},
        coords={"direction": names, "unit": ds["unit"].values, "image": ds["image"].values},
        attrs={k: v for k, v in ds.attrs.items() if k != "provenance"}
        | {"method": name, "base_method": method, "k_ratio": k_ratio, "info": result.info,
           "provenance": provenance(method=method, k_ratio=k_ratio, seed=seed, **params)})
    store.write_dataset(out_ds, out)


# -- scoring ------------------------------------------------------------------------------

def _metrics(names: list[str], weights: dict[str, str | None], device: str, size):
    from .metrics import build_metric

    return [build_metric(n, weights.get(n), device, size) for n in names]  # n -> hub dir


def embed_pool(pool: str, metric: str, weights: dict, device: str, metric_size, out: str,
               batch_size: int = 256) -> None:
    """Every image of a pool embedded once under a metric, streamed to Zarr, so that
    score jobs read embeddings instead of running the metric's network again."""
    from tqdm import tqdm

    m = _metrics([metric], weights, resolve_device(device), metric_size)[0]
    images = pool_images(pool)
    width = m.embed(images[:1]).shape[1]
    writer = store.ArrayWriter(out, "embeddings", (len(images), width), "float32",
                               ["image", "feature"], {"image": ("image", np.arange(len(images)))},
                               {"metric": m.name, "pool": Path(pool).stem,
                                "provenance": provenance(metric=m.name, size=metric_size,
                                                         device=device)},
                               chunk_images=batch_size)
    try:
        for start in tqdm(range(0, len(images), batch_size), desc="embed", mininterval=10):
            writer.write(m.embed(images[start:start + batch_size]).cpu().numpy())
    except BaseException:
        writer.abort()
        raise
    writer.close()
    log.info("embedded %d images of %s under %s: %d features, %.0f MB", len(images), pool,
             m.name, width, len(images) * width * 4 / 1e6)


def pool_embeddings(path: str):
    """A pool's embeddings under one metric, read lazily by image index."""
    import zarr

    return store.LazyRows(zarr.open_group(path, mode="r")["embeddings"])


def _scored(design, images, built: list, embeddings: dict, mis: dict, fitted: str | None):
    """(metric, its MIS alpha, its scores) of a design under each built metric, reading
    the pool's cached embeddings where there are any."""
    from .mis import resolve_alpha
    from .scoring import score_units

    fits = fitted_alphas(fitted)
    for metric in built:
        cache = pool_embeddings(embeddings[metric.name]) if metric.name in embeddings else None
        alpha = resolve_alpha(mis["alpha"], metric.name, fits)
        yield metric, alpha, score_units(design, images, metric, alpha, cache)


def score_directions(directions: str, pool: str, statistics: str, embeddings: dict,
                     metrics: list[str], weights: dict, k: int, one_per_group: bool,
                     mis: dict, baseline: dict, seed: int, device: str, metric_size,
                     out: str, fitted: str | None = None) -> None:
    """II, MIS and the bland-image control (``ii_lowlevel``, ``ii_excess``) of every
    direction under each metric; the settings go to the sidecar. ``embeddings``: the
    pool's cached embeddings per metric (metric -> Zarr store), where there are any."""
    from .lowlevel import STATISTICS
    from .scoring import design_scores

    device = resolve_device(device)
    ds = store.open_dataset(directions)
    resp = ds["responses"].values
    images = pool_images(pool)
    groups = pool_groups(pool, one_per_group)
    every_group = all_groups(pool)
    stats = pd.read_csv(statistics)[list(STATISTICS)].to_numpy()
    design = design_scores(resp, k, seed, mis, stats, baseline, groups, every_group)
    frames, alphas = [], {}
    built = _metrics(metrics, weights, device, metric_size)
    for metric, alphas[metric.name], scores in _scored(design, images, built, embeddings, mis,
                                                       fitted):
        frames.append(pd.DataFrame({
            "source": ds.attrs["source"], "layer": ds.attrs["layer"],
            "method": ds.attrs["method"], "direction": ds["direction"].values,
            "metric": metric.name, "ii_pairs": scores["ii_pairs"], "ii_code": scores["ii_code"],
            "mis": scores["mis"], "ii_lowlevel": scores["ii_lowlevel"],
            "ii_excess": scores["ii_excess"], "lowlevel_r2": scores["lowlevel_r2"],
            "top_k": [" ".join(map(str, row)) for row in scores["top_k"]],
            "top_groups": (["|".join(map(str, row)) for row in every_group[scores["top_k"]]]
                           if every_group is not None else ""),
            "sparsity": lifetime_sparseness(resp)}))
        log.info("%s: mean II (%s) = %.4f, II excess over the low-level shadows = %.4f, "
                 "mean MIS = %.4f over %d directions", directions, metric.name,
                 scores["ii_pairs"].mean(),
                 scores["ii_excess"].mean(), scores["mis"].mean(), len(resp.T))
    settings = {"k": k, "one_per_group": groups is not None, "embeddings": embeddings,
                "lowlevel_baseline": baseline | {"statistics": list(STATISTICS)} | design.info}
    meta = {name: info | settings | {"mis": mis | {"alpha": alphas[name]}}
            for name, info in metric_info(built, weights).items()}
    _write_csv(pd.concat(frames), out, meta)


def calibrate(pool: str, statistics: str, chance: str, embeddings: dict, metrics: list[str],
              weights: dict, k: int, one_per_group: bool, mis: dict, baseline: dict,
              calibration: dict, seed: int, device: str, metric_size, out: str,
              fitted: str | None = None) -> None:
    """Every score of the pool's known-answer units (see :mod:`.calibration`), scored
    by the same code and settings as real units: one row per unit and metric, the II
    given above the pool's chance level."""
    from .calibration import known_units
    from .lowlevel import STATISTICS
    from .scoring import design_scores

    images = pool_images(pool)
    table = pool_table(pool)
    groups = pool_groups(pool, one_per_group)
    stats = pd.read_csv(statistics)[list(STATISTICS)].to_numpy()
    names = calibration["concepts"].get(Path(pool).stem, _default_concepts(table))
    missing = [a for a in names if a != "label" and f"factor_{a}" not in table]
    if missing:
        raise ValueError(f"calibration.concepts names {missing}, which pool {pool} lacks; it "
                         f"has label and {[c[7:] for c in table if c.startswith('factor_')]}")
    concepts = {a: table["label" if a == "label" else f"factor_{a}"].to_numpy() for a in names}
    resp, units = known_units(stats, seed, k, calibration["n_units"], groups, concepts,
                              calibration["sparse_fraction"], 0.8 * mis["quantile"])
    design = design_scores(resp, k, seed, mis, stats, baseline, groups, all_groups(pool))
    chance = read_table(chance).groupby("metric").ii_pairs.agg(["mean", "std"])
    frames = []
    built = _metrics(metrics, weights, resolve_device(device), metric_size)
    for metric, _, scores in _scored(design, images, built, embeddings, mis, fitted):
        frames.append(units.assign(
            pool=Path(pool).stem, metric=metric.name,
            ii=scores["ii_pairs"] - chance.loc[metric.name, "mean"],
            chance_sd=chance.loc[metric.name, "std"], mis=scores["mis"],
            ii_excess=scores["ii_excess"], lowlevel_r2=scores["lowlevel_r2"]))
        by = frames[-1].groupby("unit_type", sort=False)[["ii", "mis", "ii_excess"]].mean()
        log.info("known-answer units of %s under %s (mean per type):\n%s", pool, metric.name,
                 by.round(3).to_string())
    settings = {"k": k, "one_per_group": groups is not None, "mis": mis,
                "lowlevel_baseline": baseline | design.info, "calibration": calibration}
    meta = {name: info | settings for name, info in metric_info(built, weights).items()}
    _write_csv(pd.concat(frames), out, meta)


def _default_concepts(table: pd.DataFrame) -> list[str]:
    """A pool's label, unless it names the group (the photos pool's photograph)."""
    same = "group" in table and (table.groupby("group").label.nunique() == 1).all()
    return [] if same else ["label"]


def calibration(units: list[str], settings: dict, lowlevel_metrics: list[str], out_table: str,
                out_figure: str) -> None:
    """The calibration table of every scored pool, and its figure. Under a low-level
    control metric (``lowlevel_metrics``) a concept has no known answer: not checked."""
    from .calibration import calibration_table
    from .plotting import calibration as plot_calibration

    all_units = _read_all(units)
    concepts = all_units.unit_type.isin(["concept", "sparse_concept"])
    all_units = all_units[~(concepts & all_units.metric.isin(lowlevel_metrics))]
    table = calibration_table(all_units, {"ii": settings["ii_tolerance"],
                                          "mis": settings["mis_tolerance"]})
    plot_calibration(table, out_figure)
    _write_csv(table, out_table, {"tolerance": f"II: {settings['ii_tolerance']} x scale, the "
                                               f"SD of the pool's random-set II; MIS: "
                                               f"{settings['mis_tolerance']}",
                                  "passes": "= v: the 95% CI meets v +- tolerance; "
                                            "> v: the CI lies above v"})
    for row in table[~table.passes].itertuples():
        log.warning("calibration fails: %s %s %s %s: mean %.3f [%.3f, %.3f], expected %s",
                    row.pool, row.metric, row.unit_type, row.score, row.mean, row.ci_low,
                    row.ci_high, row.expected)
    log.info("calibration: %d of %d checks pass", table.passes.sum(), len(table))


def metric_info(metrics, weights: dict) -> dict:
    """Which metric, described, with which weight file, produced the numbers."""
    return {m.name: {"description": m.description, "weights": weights.get(m.name) or "none"}
            for m in metrics}


def random_baseline(pool: str, metrics: list[str], weights: dict, k: int, n_sets: int,
                    seed: int, device: str, metric_size, out: str,
                    one_per_group: bool) -> None:
    from .interpretability import random_baseline as baseline

    device = resolve_device(device)
    images = pool_images(pool)
    groups = pool_groups(pool, one_per_group)
    frames = []
    built = _metrics(metrics, weights, device, metric_size)
    for metric in built:
        scores = baseline(len(images), images, metric, k, n_sets, seed, groups)
        frames.append(pd.DataFrame({"pool": Path(pool).stem, "metric": metric.name,
                                    "set": np.arange(n_sets), "ii_pairs": scores["ii_pairs"],
                                    "ii_code": scores["ii_code"]}))
    _write_csv(pd.concat(frames), out, {name: info | {"one_per_group": groups is not None}
                                        for name, info in metric_info(built, weights).items()})


def _write_csv(df: pd.DataFrame, out: str, meta: dict) -> None:
    """CSV plus a JSON sidecar saying which metric and weights produced it."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    Path(out).with_suffix(".json").write_text(json.dumps(
        {"metrics": meta, "provenance": provenance()}, indent=2))


# -- psychophysics ------------------------------------------------------------------------

def psychophysics(directions: str, pool: str, metric: str, weights: dict, n_references: int,
                  quantiles: list[float], n_trials: int, band: float, pooling: str, seed: int,
                  device: str, metric_size, out: str) -> None:
    from .psychophysics import accuracy_table, design_trials, run_2afc

    device = resolve_device(device)
    ds = store.open_dataset(directions)
    design = design_trials(ds["responses"].values, n_references, quantiles, n_trials, band, seed)
    m = _metrics([metric], weights, device, metric_size)[0]
    result = run_2afc(design, pool_images(pool), m, pooling)
    table = accuracy_table(result, list(ds["direction"].values), quantiles)
    table.insert(0, "source", ds.attrs["source"])
    table.insert(1, "layer", ds.attrs["layer"])
    table.insert(2, "method", ds.attrs["method"])
    table["metric"], table["pooling"] = m.name, pooling
    _write_csv(table, out, metric_info([m], weights))


# -- IMI human psychophysics --------------------------------------------------------------

def imi_trials(responses: str, file_map: str, models, modes, passed_checks: bool,
               drop_multi_participation: bool, out: str) -> None:
    """Filtered IMI trials, each checked to have its stimulus set in the file map."""
    from .imi import load_file_map, load_trials, stimulus_files, stimulus_sets

    trials, counts = load_trials(responses, models, modes, passed_checks,
                                 drop_multi_participation)
    stimulus_files(load_file_map(file_map), stimulus_sets(trials), trials, file_map)
    log.info("IMI trials: %s", counts)
    log.info("per model: %s", trials.groupby("model").size().to_dict())
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    trials.to_csv(out, index=False)
    Path(out).with_suffix(".json").write_text(json.dumps(
        {"filter_counts": counts, "responses": responses, "file_map": file_map,
         "provenance": provenance(models=models, modes=modes, passed_checks=passed_checks,
                                  drop_multi_participation=drop_multi_participation)},
        indent=2))


def _imi_files(trials: str, file_map: str, k: int):
    from .imi import load_file_map, stimulus_files, stimulus_sets, unit_top_files

    mapping = load_file_map(file_map)
    sets = stimulus_sets(pd.read_csv(trials))
    return sets, stimulus_files(mapping, sets), unit_top_files(mapping, sets, k)


def imi_stimuli(trials: str, file_map: str, imagenet_root: str, size: int, k: int,
                out: str, workers: int = 2) -> None:
    """Every ImageNet image the IMI trials and the units' top-k need, once, as a pool."""
    from .images import listed_files

    _, set_files, top = _imi_files(trials, file_map, k)
    files = sorted({f for fs in set_files for f in fs} | {f for fs in top.files for f in fs})
    log.info("rebuilding %d IMI stimuli from %s at %d px", len(files), imagenet_root, size)
    write_pool(out, listed_files(imagenet_root, files, size),
               {"label": [Path(f).parent.name for f in files], "factor_file": files},
               {"pool": "imi_stimuli", "kind": "imagenet_files",
                "provenance": provenance(imagenet_root=imagenet_root, size=size)}, workers)


def imi_evidence(trials: str, file_map: str, stimuli: str, metric: str, weights: dict,
                 pooling: str, k: int, device: str, metric_size, out_sets: str,
                 out_units: str) -> None:
    """In-silico 2-AFC evidence of every IMI stimulus set, per metric layer and in all,
    and the II of every unit from its top-k exemplars."""
    from .interpretability import set_ii
    from .psychophysics import stimulus_set_evidence

    device = resolve_device(device)
    sets, set_files, top = _imi_files(trials, file_map, k)
    with xr.open_zarr(stimuli) as ds:
        position = {f: i for i, f in enumerate(ds["factor_file"].values)}
    m = _metrics([metric], weights, device, metric_size)[0]
    images = pool_images(stimuli)
    evidence = stimulus_set_evidence(np.array([[position[f] for f in fs] for fs in set_files]),
                                     images, m, pooling)
    for name, values in evidence.items():
        sets[f"evidence_{name}"] = values
    top["ii"] = set_ii(np.array([[position[f] for f in fs] for fs in top.files]), images,
                       m)["ii_pairs"]
    top["files"] = [" ".join(fs) for fs in top.files]
    meta = metric_info([m], weights) | {"pooling": pooling, "k": k}
    _write_csv(sets.assign(metric=m.name), out_sets, meta)
    _write_csv(top.assign(metric=m.name), out_units, meta)
    log.info("evidence of %d stimulus sets and II of %d units under %s", len(sets), len(top),
             m.name)


def imi_mis_alpha(trials: str, evidence: list[str], out: str) -> None:
    """The MIS observer's alpha of every IMI metric, fitted on the human trials."""
    from .imi import fit_mis_alpha

    table = pd.read_csv(trials)
    keys = ["model", "layer", "channel", "batch"]
    rows = []
    for path in evidence:
        ev = pd.read_csv(path)
        merged = table.merge(ev[keys + ["evidence_mis"]], on=keys, how="inner")
        rows.append({"metric": ev.metric.iloc[0],
                     **fit_mis_alpha(merged.evidence_mis.to_numpy(),
                                     merged.correct.to_numpy())})
        log.info("MIS alpha of %s fitted on %d IMI trials: %.4g", rows[-1]["metric"],
                 rows[-1]["n_trials"], rows[-1]["alpha"])
    _write_csv(pd.DataFrame(rows), out, {"fit": "maximum likelihood of the humans' answers "
                                                "under P(correct) = sigmoid(alpha * delta)"})


def fitted_alphas(path: str | None) -> dict[str, float]:
    """metric -> the MIS alpha fitted on IMI (results/imi/mis_alpha.csv), if given."""
    if not path:
        return {}
    table = read_table(path)
    return dict(zip(table.metric, table.alpha))


def imi_validation(trials: str, evidence: list[str], unit_ii: list[str], n_boot: int,
                   n_splits: int, seed: int, mis_alpha, out_trials: str, out_units: str,
                   out_unit_table: str, out_models: str, fitted: str | None = None) -> None:
    """In-silico evidence, II and MIS against human correctness: trial-level AUC and r,
    unit-level Spearman with bootstrap CIs and the split-half noise ceiling, and the
    model-level ranking.

    A unit's MIS here is the MIS observer's mean P(correct) over IMI's own tasks of
    that unit (its stimulus sets), with ``mis_alpha`` (``fitted``: the metric's alpha
    fitted on these trials, ``fitted`` being its table).
    """
    from .imi import model_ranking, trial_statistics, unit_scores, unit_statistics
    from .mis import p_correct, resolve_alpha

    alphas = fitted_alphas(fitted)

    table = pd.read_csv(trials)
    keys = ["model", "layer", "channel", "batch"]
    units = unit_scores(table)
    predictors = []
    for ev_path, ii_path in zip(evidence, unit_ii):
        ev, ii = pd.read_csv(ev_path), pd.read_csv(ii_path)
        metric = ev.metric.iloc[0]
        cols = [c for c in ev.columns if c.startswith("evidence_")]
        renamed = {c: f"{metric}:{c.removeprefix('evidence_')}" for c in cols}
        table = table.merge(ev[keys + cols].rename(columns=renamed), on=keys, how="left")
        predictors += list(renamed.values())
        silico = table.groupby(["model", "layer", "channel"])[f"{metric}:all"].mean()
        units = units.merge(
            ii[["model", "layer", "channel", "ii"]].rename(columns={"ii": f"ii:{metric}"}),
            on=["model", "layer", "channel"], how="left")
        units = units.merge(silico.rename(f"evidence:{metric}").reset_index(),
                            on=["model", "layer", "channel"], how="left")
        alpha = resolve_alpha(mis_alpha, metric, alphas)
        mis = ev.assign(p=p_correct(ev.evidence_mis.to_numpy(), alpha).numpy()) \
            .groupby(["model", "layer", "channel"]).p.mean().rename(f"mis:{metric}")
        units = units.merge(mis.reset_index(), on=["model", "layer", "channel"], how="left")
    if table[predictors].isna().any().any():
        raise ValueError("some trials have no in-silico evidence; rerun imi_evidence")
    unit_preds = [c for c in units.columns if c.startswith(("ii:", "evidence:", "mis:"))]
    meta = {"predictors": unit_preds,
            "mis_alpha": {m: resolve_alpha(mis_alpha, m, alphas) for m in
                          [pd.read_csv(e, nrows=1).metric.iloc[0] for e in evidence]}}
    _write_csv(trial_statistics(table, predictors), out_trials, {"predictors": predictors})
    _write_csv(unit_statistics(units, table, unit_preds, n_boot, n_splits, seed), out_units,
               meta | {"n_boot": n_boot, "n_splits": n_splits})
    _write_csv(units, out_unit_table, meta)
    _write_csv(model_ranking(units, unit_preds), out_models, meta)


# -- ground truth -------------------------------------------------------------------------

def model_ground_truth(architecture: str, weights_dir: str | None, weights_tag: str, seed: int,
                       responses: str, out: str) -> None:
    """A user network's planted feature directions at one layer, stored as the synthetic
    populations store theirs (``mixing``: unit x feature), checked against the layer."""
    from .models import build_model, planted_directions

    with xr.open_zarr(responses) as ds:
        units, layer, source = ds["unit"].values, ds.attrs["layer"], ds.attrs["source"]
    model = build_model(architecture, weights_tag, weights_dir, seed)
    planted = planted_directions(model, [layer]).get(layer)
    if planted is None or planted.ndim != 2 or planted.shape[1] != len(units):
        shape = None if planted is None else planted.shape
        raise ValueError(f"{architecture}: planted_directions for layer {layer} must be "
                         f"features x {len(units)} units (the layer's width), not {shape}; "
                         f"give one array per layer as a dict by layer name")
    truth = xr.Dataset({"mixing": (("unit", "feature"), planted.T)},
                       coords={"unit": units, "feature": np.arange(len(planted)).astype(str)},
                       attrs={"source": source, "layer": layer,
                              "provenance": provenance(architecture=architecture,
                                                       weights=weights_tag, seed=seed)})
    store.write_dataset(truth, out)
    log.info("%s %s plants %d features in %d units", source, layer, len(planted), len(units))


def recovery(directions: list[str], truths: list[str], layers: list[str], out: str) -> None:
    """How well every direction set of each layer matches the layer's planted features,
    beside the chance level of as many random directions."""
    from .recovery import N_CHANCE_DRAWS, recovery_with_chance

    mixing = {layer: store.open_dataset(t)["mixing"].values.T  # features x units
              for layer, t in zip(layers, truths)}
    rows = []
    for path in directions:
        ds = store.open_dataset(path)
        layer = ds.attrs["layer"]
        rows.append({"source": ds.attrs["source"], "layer": layer, "method": ds.attrs["method"],
                     **recovery_with_chance(ds["components"].values, mixing[layer])})
    _write_csv(pd.DataFrame(rows), out, {"chance": f"mean over {N_CHANCE_DRAWS} draws of K "
                                                   f"random unit directions, same K and space"})


# -- figures ------------------------------------------------------------------------------

_TEXT_COLUMNS = {c: str for c in ("source", "layer", "method", "direction", "metric", "pool")}


def read_table(path: str) -> pd.DataFrame:
    """Read a results CSV; names stay text even when they look like numbers (layer '2')."""
    return pd.read_csv(path, dtype=_TEXT_COLUMNS)


def _read_all(paths: list[str]) -> pd.DataFrame:
    return pd.concat([read_table(p) for p in paths], ignore_index=True)


def figure_ii(scores: list[str], baseline: str, metric: str, title: str, out: str) -> None:
    from .plotting import ii_by_method

    ii_by_method(_read_all(scores), read_table(baseline), metric, title, out)


def figure_sizes(scores: list[str], metric: str, title: str, out: str) -> None:
    from .plotting import ii_by_size

    ii_by_size(_read_all(scores), metric, title, out)


def figure_meis(scores: list[str], pool: str, metric: str, methods: list[str], n_show: int,
                title: str, out: str) -> None:
    from .plotting import mei_grid

    mei_grid(_read_all(scores), pool_images(pool), metric, methods, n_show, title, out)


def figure_psychophysics(tables: list[str], title: str, out: str) -> None:
    from .plotting import psychophysics_curves

    psychophysics_curves(_read_all(tables), title, out)


def figure_imi(trial_stats: str, unit_stats: str, units: str, model: str, metric: str,
               out_auc: str, out_units: str) -> None:
    from .plotting import imi_auc, imi_units

    imi_auc(read_table(trial_stats), model, metric,
            f"IMI {model}: does in-silico evidence ({metric}) predict human correctness?",
            out_auc)
    imi_units(read_table(units), read_table(unit_stats), metric,
              f"IMI units: human score vs II ({metric})", out_units)


def figure_recovery(table: str, title: str, out: str) -> None:
    from .plotting import recovery_bars

    recovery_bars(read_table(table), title, out)


def figure_zoo(summary: str, index: dict, depths: dict, methods: list[str], metric: str,
               out_figure: str, out_table: str) -> None:
    """The zoo table and figure: each zoo model's gains over its neurons by depth."""
    from .plotting import zoo as plot_zoo
    from .zoo import zoo_table

    table = zoo_table(read_table(summary), index, depths, methods)
    if table.empty:
        raise ValueError(f"{summary} holds no zoo source with any of {methods}")
    plot_zoo(table, metric, out_figure)
    _write_csv(table, out_table, {metric: {"methods": methods}})
    log.info("zoo: %d models, %d rows", table.source.nunique(), len(table))


def figure_summary(scores: list[str], calibration: str, calibration_figure: str, metric: str,
                   untrained: dict[str, str],
                   pools: dict[str, str], dictionaries: list[str], out_figure: str,
                   out_compact: str, out_table: str, out_net: str, out_front: str) -> None:
    """Mean scores and gains per source, layer and direction set; the net effects over
    the matched nulls, each score flagged where its calibration on the source's pool
    fails; the compact figure (K-means and the best sparse dictionary), the detail
    figure of every set, and the report's front page."""
    from .calibration import failing_checks
    from .effects import net_effects, summary_table
    from .frontpage import compact_sets, front_page
    from .plotting import summary

    all_scores = _read_all(scores)
    cal = read_table(calibration)
    fails = failing_checks(cal, metric)
    table = summary_table(all_scores, metric)
    net = net_effects(all_scores, metric, untrained)
    net["calibrated"] = [not fails.get((pools[r.source], r.score)) for r in net.itertuples()]
    summary(table, net, metric, out_figure)
    chosen = compact_sets(net, dictionaries)
    summary(table[table.method.isin(chosen)], net[net.method.isin(chosen)], metric,
            out_compact)
    Path(out_front).write_text(front_page(net, metric, chosen, fails, pools, out_compact,
                                          out_figure, cal, calibration_figure))
    _write_csv(table, out_table, {"metric": metric})
    _write_csv(net, out_net, {"metric": metric, "untrained_nulls": untrained,
                              "shuffled_nulls": "<method>_shuffled of the same source and layer",
                              "intervals": "95% bootstrap: paired (a set of units resamples "
                                           "alike in every term), over units and, where the "
                                           "pool has groups, over groups (pigeonhole)",
                              "p_adjusted": net.correction.iloc[0] if len(net) else "",
                              "calibrated": "the score passes every known-answer check on "
                                            "the source's pool (results/tables/calibration.csv)"})
    for row in net[net.score == "ii"].itertuples():
        log.info("%s / %s / %s: II gain %+.3f, %s null %+.3f, net %+.3f [%+.3f, %+.3f]",
                 row.source, row.layer, row.method, row.gain, row.null, row.null_gain, row.net,
                 row.net_ci_low, row.net_ci_high)


def results_document(net: str, calibration: str, recovery: list[str], metric: str,
                     dictionaries: list[str], out: str) -> None:
    """``results/RESULTS.md``: the run's results, generated from its tables."""
    from .resultsdoc import results_markdown

    rec = _read_all(recovery) if recovery else None
    Path(out).write_text(results_markdown(read_table(net), read_table(calibration), rec,
                                          metric, dictionaries))


def figure_agreement(scores: list[str], metric: str, out_figure: str, out_table: str) -> None:
    """Rank agreement of II and MIS: over units, and in the order of direction sets."""
    from .effects import score_agreement
    from .plotting import agreement

    table = score_agreement(_read_all(scores), metric)
    agreement(table, f"Do II and MIS agree? ({metric})", out_figure)
    _write_csv(table, out_table, {})


# -- recordings and downloads -------------------------------------------------------------

def ingest_recording(pool: str, source: str, area: str, adapter: str, params: dict,
                     zscore: bool, min_std: float, out: str) -> None:
    from .recordings import ADAPTERS, preprocess

    rec = ADAPTERS.get(adapter)(area=area, **params)
    table = pool_table(pool)
    ids = table["factor_id"].to_numpy() if "factor_id" in table else None
    rec = preprocess(rec, len(table), Path(pool).stem, zscore, min_std, ids)
    log.info("%s: %d images x %d units", source, *rec.responses.shape)
    if rec.info["dropped_units"]:
        log.warning("%s: dropped %d flat units (std <= min_std %g): %s; the others keep their "
                    "labels", source, len(rec.info["dropped_units"]), min_std,
                    ", ".join(rec.info["dropped_units"]))
    store.write_dataset(store.responses_dataset(
        rec.responses, rec.units,
        {"source": source, "layer": area, "kind": "brain", "pool": Path(pool).stem,
         "provenance": provenance(adapter=adapter, zscore=zscore, min_std=min_std,
                                  **params, info=rec.info)}), out)


def download_dataset(dataset: str, file: str, base_url: str | None, out: str) -> None:
    from .downloads import download

    url, digest = download(dataset, file, out, base_url)
    log.info("downloaded %s to %s (%s)", url, out, digest)


# -- further analyses ---------------------------------------------------------------------

def _scorer(pool: str, metric: str, weights: dict, k: int, device: str, metric_size,
            one_per_group: bool):
    """II (primary metric) of every column of a response matrix over ``pool``, top-k
    sets as the score tables take them, and the record of which metric and weights
    produced it."""
    from .interpretability import interpretability_index

    m = _metrics([metric], weights, resolve_device(device), metric_size)[0]
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
    _write_csv(table, out, meta or {})


def analysis_synergy(responses: str, neuron_scores: str, pool: str, metric: str, weights: dict,
                     k: int, n_pairs: int, seed: int, device: str, metric_size, out: str,
                     one_per_group: bool) -> None:
    from .analyses import synergy

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
    from .analyses import interpolation

    ds = store.open_dataset(responses)
    comps = store.open_dataset(directions)["components"].values
    meta, score = _scorer(pool, metric, weights, k, device, metric_size, one_per_group)
    table = interpolation(ds["responses"].values, comps, score, n_pairs, alphas, seed)
    _write_analysis(table, ds.attrs, out, meta)


def analysis_split(responses: str, neuron_scores: str, pool: str, metric: str, weights: dict,
                   k: int, seed: int, device: str, metric_size, out: str,
                   one_per_group: bool) -> None:
    from .analyses import split_halves

    ds = store.open_dataset(responses)
    meta, score = _scorer(pool, metric, weights, k, device, metric_size, one_per_group)
    table = split_halves(ds["responses"].values, _neuron_ii(neuron_scores, metric), score, seed)
    _write_analysis(table, ds.attrs, out, meta)


def analysis_semantics(scores: list[str], pool: str, metric: str, out: str) -> None:
    """Purity of the top-k images' labels and factors, per unit or direction, with chance.

    Where the top-k sets took one image per group, an attribute that names the group
    (the photos pool's label: the photograph) has purity 1/k by construction: skipped.
    """
    from .analyses import chance_purity, top_k_purity

    table = pool_table(pool)
    columns = [c for c in table if c == "label" or c.startswith("factor_")]
    columns = [c for c in columns if table[c].nunique() <= 50]  # categorical ones only
    sidecar = json.loads(Path(scores[0]).with_suffix(".json").read_text())
    if "group" in table and sidecar["metrics"].get(metric, {}).get("one_per_group"):
        columns = [c for c in columns
                   if table.groupby("group")[c].nunique().max() > 1]  # not fixed by the group
    all_scores = _read_all(scores)
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
    _write_csv(pd.concat(frames) if frames else empty, out, {})


def analysis_spectrum(responses: str, lo: float, hi: float, out: str) -> None:
    from .analyses import power_law_spectrum

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
    from .plotting import ANALYSIS_FIGURES

    ANALYSIS_FIGURES.get(name)(_read_all(tables), metric, title, out)


def record_config(config: dict, out: str) -> None:
    import yaml

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(yaml.safe_dump({"provenance": provenance(), **config}, sort_keys=False))
