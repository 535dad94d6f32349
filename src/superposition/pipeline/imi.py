"""Validation against the IMI human psychophysics."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..devices import resolve_device
from ..provenance import provenance
from ..settings import Imi
from .images import write_pool
from .io import build_metrics, fitted_alphas, metric_info, pool_images, write_csv

log = logging.getLogger("superposition")


def imi_trials(imi: Imi, out: str) -> None:
    """Filtered IMI trials, each checked to have its stimulus set in the file map."""
    from ..imi import load_file_map, load_trials, stimulus_files, stimulus_sets

    trials, counts = load_trials(imi.responses, imi.models, modes=imi.modes,
                                 passed_checks=imi.passed_checks,
                                 drop_multi_participation=imi.drop_multi_participation)
    stimulus_files(load_file_map(imi.file_map), stimulus_sets(trials), trials=trials,
                   map_path=imi.file_map)
    log.info("IMI trials: %s", counts)
    log.info("per model: %s", trials.groupby("model").size().to_dict())
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    trials.to_csv(out, index=False)
    Path(out).with_suffix(".json").write_text(json.dumps(
        {"filter_counts": counts, "responses": imi.responses, "file_map": imi.file_map,
         "provenance": provenance(models=imi.models, modes=imi.modes,
                                  passed_checks=imi.passed_checks,
                                  drop_multi_participation=imi.drop_multi_participation)},
        indent=2))


def _imi_files(trials: str, file_map: str, k: int):
    from ..imi import load_file_map, stimulus_files, stimulus_sets, unit_top_files

    mapping = load_file_map(file_map)
    sets = stimulus_sets(pd.read_csv(trials))
    return sets, stimulus_files(mapping, sets), unit_top_files(mapping, sets, k)


def imi_stimuli(trials: str, *, imi: Imi, out: str, workers: int = 2) -> None:
    """Every ImageNet image the IMI trials and the units' top-k need, once, as a pool."""
    from ..images import listed_files

    imagenet_root, size = imi.imagenet_root, imi.size
    _, set_files, top = _imi_files(trials, imi.file_map, imi.k)
    files = sorted({f for fs in set_files for f in fs} | {f for fs in top.files for f in fs})
    log.info("rebuilding %d IMI stimuli from %s at %d px", len(files), imagenet_root, size)
    write_pool(out, images=listed_files(imagenet_root, files, size),
               coords={"label": [Path(f).parent.name for f in files], "factor_file": files},
               attrs={"pool": "imi_stimuli", "kind": "imagenet_files",
                "provenance": provenance(imagenet_root=imagenet_root, size=size)}, workers=workers)


def imi_evidence(trials: str, *, stimuli: str, metric: str, weights: dict, imi: Imi,
                 device: str, out_sets: str, out_units: str) -> None:
    """In-silico 2-AFC evidence of every IMI stimulus set, per metric layer and in all,
    and the II of every unit from its top-k exemplars."""
    from ..interpretability import set_ii
    from ..psychophysics import stimulus_set_evidence

    device = resolve_device(device)
    sets, set_files, top = _imi_files(trials, imi.file_map, imi.k)
    with xr.open_zarr(stimuli) as ds:
        position = {f: i for i, f in enumerate(ds["factor_file"].values)}
    m = build_metrics([metric], weights=weights, device=device, size=imi.size)[0]
    images = pool_images(stimuli)
    evidence = stimulus_set_evidence(np.array([[position[f] for f in fs] for fs in set_files]),
                                     images, metric=m, pooling=imi.pooling)
    for name, values in evidence.items():
        sets[f"evidence_{name}"] = values
    top["ii"] = set_ii(np.array([[position[f] for f in fs] for fs in top.files]), images,
                       metric=m)["ii_pairs"]
    top["files"] = [" ".join(fs) for fs in top.files]
    meta = metric_info([m], weights) | {"pooling": imi.pooling, "k": imi.k}
    write_csv(sets.assign(metric=m.name), out_sets, meta)
    write_csv(top.assign(metric=m.name), out_units, meta)
    log.info("evidence of %d stimulus sets and II of %d units under %s", len(sets), len(top),
             m.name)


def imi_mis_alpha(trials: str, evidence: list[str], out: str) -> None:
    """The MIS observer's alpha of every IMI metric, fitted on the human trials."""
    from ..imi import fit_mis_alpha

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
    write_csv(pd.DataFrame(rows), out, {"fit": "maximum likelihood of the humans' answers "
                                               "under P(correct) = sigmoid(alpha * delta)"})


def imi_validation(trials: str, *, evidence: list[str], unit_ii: list[str], imi: Imi,
                   seed: int, mis_alpha, out_trials: str, out_units: str,
                   out_unit_table: str, out_models: str, fitted: str | None = None) -> None:
    """In-silico evidence, II and MIS against human correctness: trial-level AUC and r,
    unit-level Spearman with bootstrap CIs and the split-half noise ceiling, and the
    model-level ranking.

    A unit's MIS here is the MIS observer's mean P(correct) over IMI's own tasks of
    that unit (its stimulus sets), with ``mis_alpha`` (``fitted``: the metric's alpha
    fitted on these trials, ``fitted`` being its table).
    """
    from ..imi import model_ranking, trial_statistics, unit_scores, unit_statistics
    from ..mis import p_correct, resolve_alpha

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
    write_csv(trial_statistics(table, predictors), out_trials, {"predictors": predictors})
    write_csv(unit_statistics(units, table, predictors=unit_preds, n_boot=imi.n_boot,
                              n_splits=imi.n_splits, seed=seed),
              out_units, meta | {"n_boot": imi.n_boot, "n_splits": imi.n_splits})
    write_csv(units, out_unit_table, meta)
    write_csv(model_ranking(units, unit_preds), out_models, meta)
