"""Stage 3: direction sets of a layer, and their recovery of planted features."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .. import store
from ..devices import resolve_device
from ..provenance import provenance
from .io import write_csv

log = logging.getLogger("superposition")


def find_direction_sets(responses: str, *, sets: list[dict], seed: int, outs: list[str],
                        device: str = "cpu") -> None:
    """Fit every direction set of a layer in one job, the responses read once: ``sets``
    are {"name", "k_ratio", "options", "stability"} (a name as ``kmeans@2``; stability:
    fit it again with ``seed + 1`` and record how well the two fits match, see
    :func:`..recovery.seed_stability`), ``outs`` their stores. Methods registered as
    running on a GPU (K-means, the SAEs) get the device."""
    from ..methods import SetName

    if [Path(o).stem for o in outs] != [s["name"] for s in sets]:
        raise ValueError(f"outputs {outs} do not follow the sets {[s['name'] for s in sets]}")
    ds = store.open_dataset(responses)
    x = ds["responses"].values
    for spec, out in zip(sets, outs):
        _fit_set(ds, x, SetName.parse(spec["name"]), spec["k_ratio"], spec["options"], seed,
                 out, device, spec.get("stability", False))


def _fit_set(ds: xr.Dataset, x: np.ndarray, name, k_ratio: float, params: dict, seed: int,
             out: str, device: str, stability: bool) -> None:
    from ..directions import find_directions as fit, n_directions
    from ..methods import METHODS
    from ..recovery import seed_stability

    method = name.base
    n_components = n_directions(k_ratio, x.shape[1], method=str(name))
    if METHODS.uses_gpu(name.fitted):
        params = params | {"device": resolve_device(device)}
    log.info("%s: %d images x %d units, K=%d, %s", name, *x.shape, n_components, params)
    result = fit(x, method, n_components=n_components, seed=seed, **params)
    stable = {}
    if stability:
        again = fit(x, method, n_components=n_components, seed=seed + 1, **params)
        stable = seed_stability(result.components, again.components) | {"seed": seed + 1}
        log.info("%s: stability across seeds %.3f (chance %.3f)", name,
                 stable["stability"], stable["stability_chance"])
    if method == "neurons":  # each neuron keeps its own label: V4:5 stays V4:5 when V4:4 was dropped
        names = [str(u) for u in ds["unit"].values]
    else:
        names = [f"{name}:{i}" for i in range(result.components.shape[0])]
    out_ds = xr.Dataset(
        {"components": (("direction", "unit"), result.components.astype(np.float32)),
         "responses": (("image", "direction"), result.responses.astype(np.float32))},
        coords={"direction": names, "unit": ds["unit"].values, "image": ds["image"].values},
        attrs={k: v for k, v in ds.attrs.items() if k != "provenance"}
        | {"method": str(name), "base_method": method, "k_ratio": k_ratio, "info": result.info,
           "stability": stable,
           "provenance": provenance(method=method, k_ratio=k_ratio, seed=seed, **params)})
    store.write_dataset(out_ds, out)


def recovery(directions: list[str], *, truths: list[str], layers: list[str], out: str) -> None:
    """How well every direction set of each layer matches the layer's planted features,
    beside the chance level of as many random directions."""
    from ..recovery import N_CHANCE_DRAWS, recovery_with_chance

    mixing = {layer: store.open_dataset(t)["mixing"].values.T  # features x units
              for layer, t in zip(layers, truths)}
    rows = []
    for path in directions:
        ds = store.open_dataset(path)
        layer = ds.attrs["layer"]
        rows.append({"source": ds.attrs["source"], "layer": layer, "method": ds.attrs["method"],
                     **recovery_with_chance(ds["components"].values, mixing[layer])})
    write_csv(pd.DataFrame(rows), out, {"chance": f"mean over {N_CHANCE_DRAWS} draws of K "
                                                  f"random unit directions, same K and space"})
