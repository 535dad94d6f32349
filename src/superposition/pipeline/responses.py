"""Stage 2: model activations from one forward pass, brain responses in the same
layout, and the ground truth of planted features."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import xarray as xr

from .. import store
from ..devices import resolve_device
from ..provenance import provenance
from ..synthetic import PopulationSettings
from .io import pool_images, pool_table

log = logging.getLogger("superposition")


def cache_activations(pool: str, *, architecture: str, weights_dir: str | None, weights_tag: str,
                      layers: list[str], statistic: str, batch_size: int, input_size: int | None,
                      device: str, seed: int, source: str, out: str, workers: int = 2,
                      layout=None) -> None:
    """Every layer of one model from one forward pass: ``out/{layer}.zarr`` per layer.
    Each layer is read by its layout (``layout``: the config's override); its
    provenance says which positions or tokens the statistic took."""
    from ..activations import layer_layouts, stream_activations
    from ..models import build_model, split_architecture

    device = resolve_device(device)
    family, _ = split_architecture(architecture)
    model = build_model(architecture, weights_tag, hub_dir=weights_dir, seed=seed).to(device)
    images = pool_images(pool)
    layouts = layer_layouts(model, layers, shape=images.shape[1:3], size=input_size,
                            mean=family.mean,
                            std=family.std, device=device, statistic=statistic, layout=layout)
    widths = {layer: lay.channels for layer, lay in layouts.items()}
    classify = Classification.of(model, pool, images.shape[1:3], input_size, family.mean,
                                 family.std, device) if weights_tag != "random" else None
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
        stream_activations(model, layouts, images=images, statistic=statistic,
                           batch_size=batch_size, size=input_size,
                           mean=family.mean, std=family.std, device=device,
                           write=lambda rows: [writers[layer].write(r) for layer,
                                               r in rows.items()],
                           workers=workers, predict=classify.add if classify else None)
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    for writer in writers.values():
        writer.close()
    if classify:
        classify.write(Path(out) / "accuracy.json", source)
    log.info("cached %d images of %s on %s in one pass: %s", len(images), source, device,
             ", ".join(f"{layer} ({layouts[layer].kind}, {widths[layer]} units, "
                       f"{statistic}: {layouts[layer].describe(statistic)})" for layer in layers))


class Classification:
    """A trained classifier's top-1 accuracy on a labelled pool, gathered batch by batch
    during the activation pass (which then runs to the network's output)."""

    def __init__(self, pool: str, targets: np.ndarray, dataset: str, n_classes: int):
        self.pool, self.targets, self.dataset, self.n_classes = pool, targets, dataset, n_classes
        self.correct, self.seen = 0, 0

    @classmethod
    def of(cls, model, pool: str, shape, input_size, mean, std, device):
        """The check for ``model`` on ``pool``, or None (with the reason logged) where the
        pool has no class labels or the network's outputs are no known classes."""
        import torch

        from ..activations import preprocess
        from ..classes import class_targets

        classes = store.open_attrs(pool).get("classes")
        if not classes:
            log.info("no accuracy: pool %s has no class labels", Path(pool).stem)
            return None
        with torch.no_grad():
            out = model(preprocess(np.zeros((1, *shape, 3), np.uint8), mean, std, input_size,
                                   device))
        if not torch.is_tensor(out) or out.ndim != 2:
            log.info("no accuracy: the network's output is no vector of class scores")
            return None
        targets, dataset = class_targets(pool_table(pool).label.to_numpy(), out.shape[1])
        if targets is None:  # then the second value says why
            log.warning("no accuracy on pool %s: %s", Path(pool).stem, dataset)
            return None
        return cls(pool, targets, dataset, out.shape[1])

    def add(self, top1: np.ndarray) -> None:
        self.correct += int((top1 == self.targets[self.seen:self.seen + len(top1)]).sum())
        self.seen += len(top1)

    def write(self, path: Path, source: str) -> None:
        from ..classes import near_chance

        top1 = self.correct / max(self.seen, 1)
        row = {"source": source, "pool": Path(self.pool).stem, "n_images": self.seen,
               "top1": top1, "classes": self.dataset, "chance": 1 / self.n_classes}
        path.write_text(json.dumps(row, indent=1) + "\n")
        if near_chance(top1, self.n_classes):
            log.warning("%s classifies pool %s at %.1f%% top-1, near chance (%.1f%%): are the "
                        "weights the right ones for this architecture?", source, row["pool"],
                        100 * top1, 100 / self.n_classes)
        else:
            log.info("%s: top-1 accuracy %.1f%% on %d images of %s", source, 100 * top1,
                     self.seen, row["pool"])


def accuracy_table(caches: list[str], out: str, log_file: str) -> None:
    """One row per trained model whose pool has class labels: ``source, pool, n_images,
    top1`` (and the classes and chance level), from each activation cache's check."""
    import pandas as pd

    rows = [json.loads((Path(c) / "accuracy.json").read_text()) for c in caches
            if (Path(c) / "accuracy.json").is_file()]
    columns = ["source", "pool", "n_images", "top1", "classes", "chance"]
    table = pd.DataFrame(rows, columns=columns)
    table.to_csv(out, index=False)
    without = [Path(c).name for c in caches if not (Path(c) / "accuracy.json").is_file()]
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    Path(log_file).write_text(
        f"{len(table)} classifiers with an accuracy; without one (no class labels or no "
        f"class outputs, see their cache_activations logs): {', '.join(without) or 'none'}\n")


def layer_responses(cache: str, *, layer: str, out: str, log_file: str) -> None:
    """One layer's store of a model's cache, placed as the layer's response store
    (hard links where the file system allows: no second copy on disk)."""
    how = store.link_store(Path(cache) / f"{layer}.zarr", out)
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    Path(log_file).write_text(f"{out}: {how} from {cache}/{layer}.zarr\n")


def synthetic_population(pool: str, *, source: str, area: str,
                         settings: PopulationSettings, seed: int, out_responses: str,
                         out_truth: str) -> None:
    """Plant features into a population over a pool (see :class:`..synthetic.
    PopulationSettings`): ``factors`` names one group of factors (features are their
    conjunctions, one active per image) or several groups (one feature of each active
    per image)."""
    from ..synthetic import grouped_features, planted_population

    factors, intensity, n_neurons = settings.factors, settings.intensity, settings.n_neurons
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
    pop = planted_population(z, names, n_neurons=n_neurons,
                             features_per_neuron=settings.features_per_neuron, gain=settings.gain,
                             baseline=settings.baseline, seed=seed, mixing=settings.mixing)
    settings = dict(factors=factors, n_neurons=n_neurons,
                    features_per_neuron=settings.features_per_neuron, gain=settings.gain,
                    baseline=settings.baseline, seed=seed, mixing=settings.mixing,
                    intensity=intensity)
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


def ingest_recording(pool: str, *, source: str, area: str, adapter: str, params: dict,
                     zscore: bool, min_std: float, out: str) -> None:
    from ..recordings import ADAPTERS, preprocess

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


def model_ground_truth(architecture: str, *, weights_dir: str | None, weights_tag: str, seed: int,
                       responses: str, out: str) -> None:
    """A user network's planted feature directions at one layer, stored as the synthetic
    populations store theirs (``mixing``: unit x feature), checked against the layer."""
    from ..models import build_model, planted_directions

    with xr.open_zarr(responses) as ds:
        units, layer, source = ds["unit"].values, ds.attrs["layer"], ds.attrs["source"]
    model = build_model(architecture, weights_tag, hub_dir=weights_dir, seed=seed)
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
