"""The IMI human psychophysics (Zimmermann, Klein & Brendel 2023; Zenodo 8131197).

``responses_main.csv`` holds one row per 2-AFC trial; each trial of unit
(model, layer, channel) shows the stimulus set ``batch_<b>`` of that unit, whose
ImageNet-train files ``imagenet_exemplars_file_map.json`` lists:

    {model: {"<layer>/channel_<c>": {"batch_<b>": {"max_0.png": "n0.../n0..._1.JPEG",
                                                    ..., "min_9.png": ...}}}}

``max_0..8`` / ``min_0..8`` are the references (index 8 from the 11 most extreme
images), ``max_9`` / ``min_9`` the two queries. This module reads and checks both
files, rebuilds the trials, and computes the statistics that compare in-silico
evidence and the II with human correctness. Pure functions; files in, tables out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .psychophysics import decisions

# The 45 columns of responses_main.csv, as exported by the IMI authors.
COLUMNS = [
    "rt", "button_pressed", "switched_queries", "confidence", "choice", "correct",
    "min_query", "max_query", "min_references", "max_references", "catch_trial", "is_demo",
    "trial_type", "trial_index", "time_elapsed", "internal_node_id", "response_index",
    "participant_id", "corrected_trial_index", "task_id", "task_number", "batch", "channel",
    "layer", "mode", "model", "passed_checks", "demo_trials_result", "catch_trials_result",
    "total_response_time_result", "row_variability_result", "instruction_time_result",
    "demo_trials_details", "catch_trials_details", "total_response_time_details",
    "row_variability_details", "instruction_time_details",
    "instruction_time_details_extracted", "total_response_time_details_extracted",
    "row_variability_details_details_upper_extracted",
    "row_variability_details_details_lower_extracted",
    "catch_trials_details_ratio_extracted", "catch_trials_details_correctly_answered_extracted",
    "demo_trials_details_extracted", "multi_participation",
]
# What the analysis reads; the others may be absent.
REQUIRED = ["confidence", "correct", "catch_trial", "is_demo", "participant_id", "task_id",
            "batch", "channel", "layer", "mode", "model", "passed_checks"]
BOOLEAN = ["correct", "catch_trial", "is_demo", "passed_checks", "multi_participation"]
N_REFERENCES = 9  # per side; index 9 is the query
STIMULI = [f"max_{i}.png" for i in range(10)] + [f"min_{i}.png" for i in range(10)]


class IMIFormatError(ValueError):
    """An IMI file that does not have the published structure."""


def _csv_row(index) -> int:
    """Line number in the CSV of a pandas row index (header is line 1)."""
    return int(index) + 2


def _as_bool(column: pd.Series, name: str, path) -> pd.Series:
    text = column.astype(str).str.strip().str.lower()
    mapping = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}
    bad = ~text.isin(list(mapping))
    if bad.any():
        i = bad.idxmax()
        raise IMIFormatError(f"{path}, line {_csv_row(i)}: column {name!r} is "
                             f"{column[i]!r}, expected True or False")
    return text.map(mapping).astype(bool)


def _as_int(column: pd.Series, name: str, *, path, allowed=None) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() | (values != values.round())
    if allowed is not None:
        bad |= ~values.isin(allowed)
    if bad.any():
        i = bad.idxmax()
        expect = f"one of {sorted(allowed)}" if allowed is not None else "an integer"
        raise IMIFormatError(f"{path}, line {_csv_row(i)}: column {name!r} is "
                             f"{column[i]!r}, expected {expect}")
    return values.astype(np.int64)


def layer_group(layer: str) -> str:
    """The stage a layer belongs to, e.g. ``layer3_4_conv1`` -> ``layer3``."""
    match = re.match(r"[A-Za-z]+\d+", layer)
    return match.group(0) if match else layer


def load_trials(path: str | Path, models: list[str] | None = None,
                *, modes: list[str] | None = None, passed_checks: bool = True,
                drop_multi_participation: bool = True) -> tuple[pd.DataFrame, dict]:
    """The analysed trials of ``responses_main.csv`` and how many each filter removed.

    Filters as the IMI authors: demo and catch trials out; participants who failed
    the quality checks out; repeat participations out. Then the configured
    models and modes (``natural`` by default: the references of the optimized
    condition are feature visualisations, not ImageNet images).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IMI responses {path} not found; set imi.responses or let "
                                f"the workflow download it (rule download_dataset)")
    try:
        raw = pd.read_csv(path, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise IMIFormatError(f"{path} is not a readable CSV: {err}") from err
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise IMIFormatError(f"{path} lacks the IMI columns {missing}; is it "
                             f"responses_main.csv from Zenodo record 8131197?")
    counts = {"rows": len(raw)}
    keep = ~(_as_bool(raw["catch_trial"], "catch_trial", path)
             | _as_bool(raw["is_demo"], "is_demo", path))
    counts["demo_or_catch"] = int((~keep).sum())
    if passed_checks:
        failed = keep & ~_as_bool(raw["passed_checks"], "passed_checks", path)
        counts["failed_checks"] = int(failed.sum())
        keep &= ~failed
    if drop_multi_participation and "multi_participation" in raw.columns:
        multi = keep & _as_bool(raw["multi_participation"], "multi_participation", path)
        counts["multi_participation"] = int(multi.sum())
        keep &= ~multi
    df = raw[keep]
    for name, allowed in (("model", models), ("mode", modes)):
        if allowed is not None:
            out = ~df[name].isin(allowed)
            counts[f"other_{name}"] = int(out.sum())
            df = df[~out]
    if df.empty:
        raise IMIFormatError(f"no trials of {path} are left after filtering ({counts}); "
                             f"check imi.models and imi.modes against its columns "
                             f"'model' and 'mode'")
    layers = df["layer"].astype(str)
    trials = pd.DataFrame({
        "row": [_csv_row(i) for i in df.index],
        "participant_id": df["participant_id"].astype(str),
        "task_id": df["task_id"].astype(str),
        "model": df["model"].astype(str),
        "layer": layers,
        "layer_group": layers.map(layer_group),
        "channel": _as_int(df["channel"], "channel", path=path),
        "batch": _as_int(df["batch"], "batch", path=path),
        "mode": df["mode"].astype(str),
        "confidence": _as_int(df["confidence"], "confidence", path=path, allowed={1, 2, 3}),
        "correct": _as_bool(df["correct"], "correct", path).astype(np.int64),
    })
    # One rater = one response to one task (HIT). With repeat participations removed
    # that is one person, and it does not rely on participant_id, which the public
    # export may anonymise.
    trials.insert(2, "rater", (df["task_id"].astype(str) + "#"
                               + df["response_index"].astype(str)).to_numpy()
                  if "response_index" in df.columns else trials["participant_id"].to_numpy())
    counts["trials"] = len(trials)
    return trials.reset_index(drop=True), counts


def load_file_map(path: str | Path) -> dict:
    """``imagenet_exemplars_file_map.json``, its nesting checked."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IMI file map {path} not found; set imi.file_map or let the "
                                f"workflow download it (rule download_dataset)")
    try:
        mapping = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise IMIFormatError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(mapping, dict) or not all(isinstance(u, dict) for u in mapping.values()):
        raise IMIFormatError(f"{path}: expected {{model: {{'<layer>/channel_<c>': "
                             f"{{'batch_<b>': {{'max_0.png': path}}}}}}}}")
    for model, units in mapping.items():
        for unit, batches in units.items():
            if "/channel_" not in unit or not isinstance(batches, dict):
                raise IMIFormatError(f"{path}: {model}/{unit} is not '<layer>/channel_<c>' "
                                     f"mapping batches")
    return mapping


def unit_key(layer: str, channel: int) -> str:
    return f"{layer}/channel_{int(channel)}"


def stimulus_sets(trials: pd.DataFrame) -> pd.DataFrame:
    """The distinct (model, layer, channel, batch) stimulus sets the trials show."""
    keys = ["model", "layer", "layer_group", "channel", "batch"]
    return trials[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)


def stimulus_files(file_map: dict, sets: pd.DataFrame, *, trials: pd.DataFrame | None = None,
                   map_path: str = "the file map") -> list[list[str]]:
    """The 20 ImageNet files of each stimulus set, in ``STIMULI`` order."""
    files = []
    for s in sets.itertuples():
        try:
            batch = file_map[s.model][unit_key(s.layer, s.channel)][f"batch_{s.batch}"]
            files.append([batch[name] for name in STIMULI])
        except KeyError as err:
            where = ""
            if trials is not None:
                match = trials[(trials.model == s.model) & (trials.layer == s.layer)
                               & (trials.channel == s.channel) & (trials.batch == s.batch)]
                where = f" (responses line {match.row.iloc[0]})" if len(match) else ""
            raise IMIFormatError(
                f"{map_path} has no {err} for {s.model} {unit_key(s.layer, s.channel)} "
                f"batch_{s.batch}{where}; responses and file map do not belong together"
            ) from None
    return files


def unit_top_files(file_map: dict, sets: pd.DataFrame, k: int) -> pd.DataFrame:
    """Per unit, k of its 11 most activating images: ``max_8`` of its first k batches.

    ``max_8`` of every batch comes from the top bin of the IMI exemplar
    extraction (shuffled within the bin), so these are a unit's top-k images up
    to the order inside that bin, which the file map does not keep.
    """
    rows = []
    for (model, layer, channel), _ in sets.groupby(["model", "layer", "channel"], sort=True):
        batches = file_map[model][unit_key(layer, channel)]
        order = sorted(batches, key=lambda b: int(b.split("_")[-1]))
        if len(order) < k:
            raise IMIFormatError(f"{model} {unit_key(layer, channel)} has {len(order)} batches "
                                 f"in the file map, fewer than k = {k}")
        rows.append({"model": model, "layer": layer, "channel": channel,
                     "files": [batches[b][f"max_{N_REFERENCES - 1}.png"] for b in order[:k]]})
    return pd.DataFrame(rows)


# -- statistics ---------------------------------------------------------------------------

def roc_auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for binary ``label`` (ties count half)."""
    score, label = np.asarray(score, float), np.asarray(label).astype(bool)
    n_pos, n_neg = label.sum(), (~label).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(score)
    return float((ranks[label].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _pearson(x, y) -> tuple[float, float]:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan"), float("nan")
    r, p = stats.pearsonr(x, y)
    return float(r), float(p)


def trial_statistics(trials: pd.DataFrame, predictors: list[str]) -> pd.DataFrame:
    """AUC and Pearson r of each predictor (a column of in-silico evidence) for human
    correctness, per model, layer stage and confidence, with 'all' margins.

    Also the accuracies of humans and of the hard in-silico observer, whose gap
    shows whether the in-silico task saturates.
    """
    rows = []
    for model in ["all", *sorted(trials.model.unique())]:
        by_model = trials if model == "all" else trials[trials.model == model]
        for group in ["all", *sorted(by_model.layer_group.unique())]:
            by_layer = by_model if group == "all" else by_model[by_model.layer_group == group]
            for conf in ["all", 1, 2, 3]:
                sub = by_layer if conf == "all" else by_layer[by_layer.confidence == conf]
                if sub.empty:
                    continue
                for pred in predictors:
                    r, p = _pearson(sub[pred], sub.correct)
                    rows.append({
                        "model": model, "layer_group": group, "confidence": str(conf),
                        "predictor": pred, "n_trials": len(sub),
                        "auc": roc_auc(sub[pred], sub.correct), "pearson_r": r,
                        "pearson_p": p, "human_accuracy": sub.correct.mean(),
                        "silico_accuracy": float(decisions(sub[pred].to_numpy()).mean()),
                    })
    return pd.DataFrame(rows)


def unit_scores(trials: pd.DataFrame) -> pd.DataFrame:
    """Per unit: human score (mean correct), number of trials and raters."""
    keys = ["model", "layer", "layer_group", "channel"]
    return (trials.groupby(keys).agg(human_score=("correct", "mean"),
                                     n_trials=("correct", "size"),
                                     n_raters=("rater", "nunique"))
            .reset_index())


def spearman_ci(x: np.ndarray, y: np.ndarray, *, n_boot: int,
                seed: int) -> tuple[float, float, float]:
    """Spearman rho and its 95% percentile bootstrap interval over units."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3:
        return float("nan"), float("nan"), float("nan")
    rho = float(stats.spearmanr(x, y).statistic)
    i = np.random.default_rng(seed).integers(0, len(x), (n_boot, len(x)))  # all resamples
    xs, ys = x[i], y[i]
    ok = (np.ptp(xs, axis=1) > 0) & (np.ptp(ys, axis=1) > 0)  # rho is defined
    boots = _pearson_rows(stats.rankdata(xs[ok], axis=1), stats.rankdata(ys[ok], axis=1))
    lo, hi = np.percentile(boots, [2.5, 97.5]) if len(boots) else (np.nan, np.nan)
    return rho, float(lo), float(hi)


def _pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r of each row of ``a`` with the same row of ``b`` (of ranks: Spearman)."""
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    return (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))


def split_half_ceiling(trials: pd.DataFrame, n_splits: int, seed: int) -> dict[str, float]:
    """Reliability of the per-unit human score from random halves of raters.

    Each split assigns every rater (one participant's response to one task) to one
    half; the per-unit scores of the halves (units seen in both) are rank-correlated.
    The mean split-half rho is stepped up to the full data with Spearman-Brown
    (2r / (1 + r)); the ceiling for a predictor's rho with the full-data human
    score is its square root.
    """
    raters = np.asarray(sorted(trials.rater.unique()))
    keys = ["model", "layer", "channel"]
    rng = np.random.default_rng(seed)
    rhos = []
    for _ in range(n_splits):
        half = set(rng.permutation(raters)[: len(raters) // 2])
        in_a = trials.rater.isin(half)
        a = trials[in_a].groupby(keys).correct.mean()
        b = trials[~in_a].groupby(keys).correct.mean()
        both = a.index.intersection(b.index)
        if len(both) >= 3 and np.ptp(a[both]) > 0 and np.ptp(b[both]) > 0:
            rhos.append(stats.spearmanr(a[both], b[both]).statistic)
    if not rhos:
        return {"split_half_rho": float("nan"), "reliability": float("nan"),
                "ceiling": float("nan"), "n_splits": 0}
    r = float(np.mean(rhos))
    reliability = 2 * r / (1 + r) if r > -1 else float("nan")
    return {"split_half_rho": r, "reliability": reliability,
            "ceiling": float(np.sqrt(reliability)) if reliability > 0 else 0.0,
            "n_splits": len(rhos)}


def unit_statistics(units: pd.DataFrame, trials: pd.DataFrame, *, predictors: list[str],
                    n_boot: int, n_splits: int, seed: int) -> pd.DataFrame:
    """Spearman of each per-unit predictor with the human score, per model and pooled,
    with bootstrap CIs and the split-half noise ceiling of the human score."""
    rows = []
    for model in ["all", *sorted(units.model.unique())]:
        sub = units if model == "all" else units[units.model == model]
        ceiling = split_half_ceiling(trials if model == "all" else trials[trials.model == model],
                                     n_splits, seed)
        for pred in predictors:
            rho, lo, hi = spearman_ci(sub[pred], sub.human_score, n_boot=n_boot, seed=seed)
            rows.append({"model": model, "predictor": pred, "n_units": len(sub),
                         "spearman": rho, "ci_low": lo, "ci_high": hi, **ceiling})
    return pd.DataFrame(rows)


def model_ranking(units: pd.DataFrame, predictors: list[str]) -> pd.DataFrame:
    """Model level: each model's mean human score and mean of each per-unit predictor,
    and the Spearman rho over models of the two (does the score rank the models as
    the humans do?), repeated on every row of a predictor."""
    rows = []
    for pred in predictors:
        means = units.groupby("model")[["human_score", pred]].mean()
        rho = (float(stats.spearmanr(means.human_score, means[pred]).statistic)
               if len(means) >= 3 else float("nan"))
        for model, r in means.iterrows():
            rows.append({"predictor": pred, "model": model, "human_score": r.human_score,
                         "score": r[pred], "n_units": int((units.model == model).sum()),
                         "n_models": len(means), "spearman_over_models": rho})
    return pd.DataFrame(rows)


def fit_mis_alpha(delta: np.ndarray, correct: np.ndarray) -> dict[str, float]:
    """The MIS observer's alpha fitted to human answers, as the MIS paper did: the
    maximum-likelihood scale of P(correct) = sigmoid(alpha * delta) over trials, with
    the humans' accuracy and the fitted observer's mean P(correct) beside it."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_expit

    delta, correct = np.asarray(delta, float), np.asarray(correct, bool)
    sign = np.where(correct, 1.0, -1.0)

    def loss(log_alpha):
        return -log_expit(np.exp(log_alpha) * delta * sign).sum()

    fit = minimize_scalar(loss, bounds=(-12, 12), method="bounded")
    alpha = float(np.exp(fit.x))
    return {"alpha": alpha, "n_trials": int(len(delta)), "log_likelihood": float(-fit.fun),
            "human_accuracy": float(correct.mean()),
            "observer_accuracy": float(np.mean(1 / (1 + np.exp(-alpha * delta))))}
