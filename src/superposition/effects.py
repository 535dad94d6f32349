"""Effect sizes with bootstrap confidence intervals: how much a direction set gains
over the neurons, under each score (II, MIS, ii_excess), per source and layer, and
net of the matched nulls.

Directions and neurons are different samples (K directions, n neurons), so a
gain's interval resamples each side on its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .directions import SHUFFLED

SCORE_COLUMNS = {"ii": "ii_pairs", "mis": "mis", "ii_excess": "ii_excess"}  # name -> column
N_BOOT = 1000


def shuffled_name(direction_set: str) -> str:
    """The shuffled-fit null of a direction set: kmeans@2 -> kmeans_shuffled@2."""
    method, at, ratio = direction_set.partition("@")
    return f"{method}{SHUFFLED}{at}{ratio}"


def is_null_set(direction_set: str) -> bool:
    return direction_set.split("@")[0].endswith(SHUFFLED)


def _boot_means(values, n: int, rng) -> np.ndarray:
    values = np.asarray(values, float)
    if len(values) < 2:
        return np.full(n, values.mean() if len(values) else np.nan)
    return values[rng.integers(0, len(values), (n, len(values)))].mean(1)


def bootstrap_ci(values, n: int = N_BOOT, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap confidence interval of the mean."""
    means = _boot_means(values, n, np.random.default_rng(seed))
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def gain_samples(directions, neurons, n: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """Bootstrap distribution of mean(directions) - mean(neurons)."""
    rng = np.random.default_rng(seed)
    return _boot_means(directions, n, rng) - _boot_means(neurons, n, rng)


def interval(samples: np.ndarray) -> tuple[float, float]:
    return float(np.percentile(samples, 2.5)), float(np.percentile(samples, 97.5))


def summary_table(scores: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per source, layer and direction set: mean of each score with its 95% CI, and
    the gain over the neurons of the same source and layer with its 95% CI."""
    scores = scores[scores.metric == metric]
    present = {name: col for name, col in SCORE_COLUMNS.items() if col in scores}
    rows = []
    for (src, layer), g in scores.groupby(["source", "layer"], sort=False):
        neurons = g[g.method == "neurons"]
        for m, h in g.groupby("method", sort=False):
            row = {"source": src, "layer": layer, "method": m, "n": len(h)}
            for name, col in present.items():
                lo, hi = bootstrap_ci(h[col])
                samples = gain_samples(h[col], neurons[col])
                row |= {f"mean_{name}": h[col].mean(), f"{name}_ci_low": lo,
                        f"{name}_ci_high": hi,
                        f"gain_{name}": h[col].mean() - neurons[col].mean()}
                row[f"gain_{name}_ci_low"], row[f"gain_{name}_ci_high"] = interval(samples)
            rows.append(row)
    return pd.DataFrame(rows)


def score_agreement(scores: pd.DataFrame, metric: str, n_boot: int = N_BOOT,
                    seed: int = 0) -> pd.DataFrame:
    """Do II and MIS agree? Per source, layer and direction set: Spearman rho of the
    two over units, with a 95% bootstrap CI; per source and layer: Spearman rho of
    the direction sets' mean II and mean MIS (``order_spearman``), and whether both
    scores rank the same direction set first (``same_best``), the shuffled-fit nulls
    left out of the ordering."""
    from .imi import spearman_ci

    scores = scores[scores.metric == metric]
    rows = []
    for (src, layer), g in scores.groupby(["source", "layer"], sort=False):
        sets = g[~g.method.map(is_null_set)]
        means = sets.groupby("method", sort=False)[["ii_pairs", "mis"]].mean()
        order = means.ii_pairs.rank().corr(means.mis.rank()) if len(means) > 1 else np.nan
        best = means.ii_pairs.idxmax() == means.mis.idxmax()
        for m, h in [("all", g), *g.groupby("method", sort=False)]:
            rho, lo, hi = spearman_ci(h.ii_pairs.to_numpy(), h.mis.to_numpy(), n_boot, seed)
            rows.append({"source": src, "layer": layer, "method": m, "n": len(h),
                         "spearman": rho, "ci_low": lo, "ci_high": hi,
                         "order_spearman": order, "same_best": bool(best),
                         "best_by_ii": means.ii_pairs.idxmax(),
                         "best_by_mis": means.mis.idxmax()})
    return pd.DataFrame(rows)


def net_effects(scores: pd.DataFrame, metric: str, untrained: dict[str, str],
                n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Gain of every direction set over the neurons, beside the same gain under each
    matched null, and the net effect = gain - null gain, with 95% bootstrap CIs.

    Nulls: ``untrained`` (the same source and layer of the untrained network named in
    ``untrained``: source -> null source) and ``shuffled`` (the set's own method
    fitted on responses permuted per unit, ``<method>_shuffled``), where present.
    One row per source, layer, direction set, score and null.
    """
    scores = scores[scores.metric == metric]
    present = {name: col for name, col in SCORE_COLUMNS.items() if col in scores}
    by = {key: g for key, g in scores.groupby(["source", "layer", "method"], sort=False)}

    def gain(source, layer, method, col, stream=0):
        """The gain's point estimate and its bootstrap samples (the null on its own stream)."""
        if (source, layer, method) not in by or (source, layer, "neurons") not in by:
            return None
        sets, neurons = by[source, layer, method][col], by[source, layer, "neurons"][col]
        return (sets.mean() - neurons.mean(),
                gain_samples(sets, neurons, n_boot, seed + stream))

    rows = []
    null_sources = set(untrained.values())
    for (src, layer, method) in by:
        if src in null_sources or method == "neurons" or is_null_set(method):
            continue
        nulls = {"untrained": (untrained.get(src), layer, method),
                 "shuffled": (src, layer, shuffled_name(method))}
        for name, col in present.items():
            found = gain(src, layer, method, col)
            if found is None:
                continue
            g, g_samples = found
            base = {"source": src, "layer": layer, "method": method, "score": name,
                    "gain": float(g), "gain_ci_low": interval(g_samples)[0],
                    "gain_ci_high": interval(g_samples)[1]}
            for null, key in nulls.items():
                found = gain(*key, col, stream=1) if key[0] else None
                if found is None:
                    continue
                n, n_samples = found
                net = g_samples - n_samples
                rows.append(base | {"null": null, "null_source": key[0], "null_method": key[2],
                                    "null_gain": float(n),
                                    "null_gain_ci_low": interval(n_samples)[0],
                                    "null_gain_ci_high": interval(n_samples)[1],
                                    "net": float(g - n), "net_ci_low": interval(net)[0],
                                    "net_ci_high": interval(net)[1]})
    columns = ["source", "layer", "method", "score", "gain", "gain_ci_low", "gain_ci_high",
               "null", "null_source", "null_method", "null_gain", "null_gain_ci_low",
               "null_gain_ci_high", "net", "net_ci_low", "net_ci_high"]
    return pd.DataFrame(rows, columns=columns)
