"""Effect sizes with bootstrap confidence intervals: how much a direction set gains
over the neurons, under each score (II, MIS, ii_excess), per source and layer, and
net of the matched nulls.

Intervals come from one set of bootstrap replicates shared by every term:
- paired: a set of units resamples the same way in every term it appears in, so
  the neurons cancel exactly in a net effect over the shuffled-fit null (their
  variance is not counted twice); different sets (K directions, n neurons) resample
  independently;
- over groups as well as units, where the pool has groups (the demo's 2,500 crops
  come from 19 photographs): the pigeonhole bootstrap (Owen 2007) draws unit
  multiplicities and group multiplicities independently, and weighs each unit by
  its multiplicity times the mean multiplicity of its top-k images' groups; the
  group multiplicities are drawn once per table, over every group its sets' top
  images come from, and shared by every set: a replicate is the same whatever the
  order in which the sets are read.

Net effects carry a two-sided bootstrap p-value and its Benjamini-Hochberg
adjustment over the table's whole family of net effects (``p_adjusted``).
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from .methods import SetName

SCORE_COLUMNS = {"ii": "ii_pairs", "mis": "mis", "ii_excess": "ii_excess"}  # name -> column
N_BOOT = 1000


def shuffled_name(direction_set: str) -> str:
    """The shuffled-fit null of a direction set: kmeans@2 -> kmeans_shuffled@2."""
    return str(SetName.parse(direction_set).null())


def random_name(direction_set: str) -> str:
    """The random-dictionary null of a direction set: topk_sae@3 -> random@3."""
    return str(SetName.parse(direction_set).random())


def is_null_set(direction_set: str) -> bool:
    return SetName.parse(direction_set).shuffled


def bootstrap_ci(values, n: int = N_BOOT, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap confidence interval of the mean (units resampled)."""
    return interval(Resampler(n, seed).means(values, "values"))


def interval(samples: np.ndarray) -> tuple[float, float]:
    return float(np.nanpercentile(samples, 2.5)), float(np.nanpercentile(samples, 97.5))


def p_value(samples: np.ndarray) -> float:
    """Two-sided bootstrap p-value of 'the mean is 0'."""
    samples = samples[~np.isnan(samples)]
    below, above = (samples <= 0).sum(), (samples >= 0).sum()
    return float(min(1.0, 2 * (min(below, above) + 1) / (len(samples) + 1)))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate) of one family."""
    p = np.asarray(p, float)
    if len(p) == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1)
    out = np.empty_like(p)
    out[order] = adjusted
    return out


class Resampler:
    """Shared bootstrap replicates (see the module docstring): ``means(values, key,
    groups)`` gives ``n`` replicate means of one set of units, the same for the same
    ``key`` wherever it is asked for. ``groups``: every group the sets' top images come
    from (:func:`table_groups`), whose multiplicities are drawn once, so every set shares
    them whatever the order in which the sets are asked for."""

    def __init__(self, n: int = N_BOOT, seed: int = 0, groups: list[str] | None = None):
        self.n, self.seed = n, seed
        self.universe = sorted(set(groups)) if groups else None
        self._counts: np.ndarray | None = None

    def _rng(self, key) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(repr(key).encode())])

    def _draw(self, names: list[str]) -> np.ndarray:
        return self._rng(("groups",) + tuple(names)).multinomial(
            len(names), np.full(len(names), 1 / len(names)), self.n)

    def group_weights(self, names: list[str]) -> np.ndarray:
        """(n x len(names)) multiplicities of the named groups, multinomial over all the
        groups (drawn once), or, where none were given, over the named ones alone."""
        if self.universe is None:
            universe = sorted(set(names))
            counts = self._draw(universe)
        else:
            universe = self.universe
            if self._counts is None:
                self._counts = self._draw(universe)
            counts = self._counts
        column = {g: i for i, g in enumerate(universe)}
        return counts[:, [column[g] for g in names]]

    def means(self, values, key, groups: list[list[str]] | None = None) -> np.ndarray:
        values = np.asarray(values, float)
        if len(values) < 2:
            return np.full(self.n, values.mean() if len(values) else np.nan)
        idx = self._rng(key).integers(0, len(values), (self.n, len(values)))
        # each replicate's multiplicity of every unit: one bincount over the replicates'
        # offset indices (np.add.at, the same counts, took most of a summary job)
        offsets = idx + len(values) * np.arange(self.n)[:, None]
        weights = np.bincount(offsets.ravel(), minlength=self.n * len(values)).reshape(
            self.n, len(values)).astype(float)
        if groups:
            names = sorted({g for row in groups for g in row})
            membership = np.zeros((len(values), len(names)))
            column = {g: i for i, g in enumerate(names)}
            for u, row in enumerate(groups):
                for g in row:
                    membership[u, column[g]] += 1 / len(row)
            weights = weights * (self.group_weights(names) @ membership.T)
        total = weights.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (weights * values).sum(1) / total, np.nan)


def table_groups(scores: pd.DataFrame) -> list[str]:
    """Every group that a score table's top images come from."""
    if "top_groups" not in scores:
        return []
    return sorted({g for t in scores.top_groups.dropna() for g in str(t).split("|") if g})


def _top_groups(frame: pd.DataFrame) -> list[list[str]] | None:
    """Each unit's top-k groups, where the score table has them."""
    if "top_groups" not in frame or frame.top_groups.isna().all():
        return None
    return [str(t).split("|") for t in frame.top_groups]


def summary_table(scores: pd.DataFrame, metric: str, *, n_boot: int = N_BOOT,
                  seed: int = 0) -> pd.DataFrame:
    """Per source, layer and direction set: mean of each score with its 95% CI, and
    the gain over the neurons of the same source and layer with its 95% CI; ``dead``: the
    set's directions left out of its scores for never varying over the pool;
    ``stability``: its mean best-match cosine with a second fit (where measured)."""
    scores = scores[scores.metric == metric]
    present = {name: col for name, col in SCORE_COLUMNS.items() if col in scores}
    boot = Resampler(n_boot, seed, table_groups(scores))
    rows = []
    for (src, layer), g in scores.groupby(["source", "layer"], sort=False):
        neurons = g[g.method == "neurons"]
        for m, h in g.groupby("method", sort=False):
            row = {"source": src, "layer": layer, "method": m, "n": len(h),
                   "dead": int(h.dead.iloc[0]) if "dead" in h else 0,
                   "stability": h.stability.iloc[0] if "stability" in h else np.nan}
            for name, col in present.items():
                own = boot.means(h[col], (src, layer, m), _top_groups(h))
                base = boot.means(neurons[col], (src, layer, "neurons"), _top_groups(neurons))
                lo, hi = interval(own)
                row |= {f"mean_{name}": h[col].mean(), f"{name}_ci_low": lo,
                        f"{name}_ci_high": hi,
                        f"gain_{name}": h[col].mean() - neurons[col].mean()}
                row[f"gain_{name}_ci_low"], row[f"gain_{name}_ci_high"] = interval(own - base)
            rows.append(row)
    return pd.DataFrame(rows)


def score_agreement(scores: pd.DataFrame, metric: str, *, n_boot: int = N_BOOT,
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
            rho, lo, hi = spearman_ci(h.ii_pairs.to_numpy(), h.mis.to_numpy(), n_boot=n_boot,
                                      seed=seed)
            rows.append({"source": src, "layer": layer, "method": m, "n": len(h),
                         "spearman": rho, "ci_low": lo, "ci_high": hi,
                         "order_spearman": order, "same_best": bool(best),
                         "best_by_ii": means.ii_pairs.idxmax(),
                         "best_by_mis": means.mis.idxmax()})
    return pd.DataFrame(rows)


class Gains:
    """Each direction set's gain over the neurons of its source and layer in one score
    table, with its paired bootstrap replicates (one :class:`Resampler` for the table):
    ``gains(source, layer, method, column)`` is the point estimate and the replicates, or
    None where the set or the neurons are missing."""

    def __init__(self, scores: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0):
        self.by = {key: g for key, g in scores.groupby(["source", "layer", "method"],
                                                        sort=False)}
        self.boot = Resampler(n_boot, seed, table_groups(scores))

    def __call__(self, source, layer, method, col) -> tuple[float, np.ndarray] | None:
        if (source, layer, method) not in self.by or (source, layer, "neurons") not in self.by:
            return None
        sets, neurons = self.by[source, layer, method], self.by[source, layer, "neurons"]
        samples = (self.boot.means(sets[col], (source, layer, method), _top_groups(sets))
                   - self.boot.means(neurons[col], (source, layer, "neurons"),
                                     _top_groups(neurons)))
        return sets[col].mean() - neurons[col].mean(), samples


def net_effects(scores: pd.DataFrame, metric: str, *, untrained: dict[str, str],
                n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Gain of every direction set over the neurons, beside the same gain under each
    matched null, and the net effect = gain - null gain, with 95% bootstrap CIs (paired
    and over groups, see the module docstring), a p-value and its Benjamini-Hochberg
    adjustment over the whole table.

    Nulls: ``untrained`` (the same source and layer of the untrained network named in
    ``untrained``: source -> null source), ``shuffled`` (the set's own method fitted on
    responses permuted per unit, ``<method>_shuffled``) and ``random`` (random unit
    directions at the set's K, ``random@<ratio>``), where present.
    One row per source, layer, direction set, score and null.
    """
    scores = scores[scores.metric == metric]
    present = {name: col for name, col in SCORE_COLUMNS.items() if col in scores}
    gain = Gains(scores, n_boot, seed)
    by = gain.by

    rows = []
    null_sources = set(untrained.values())
    for (src, layer, method) in by:
        if src in null_sources or method == "neurons" or is_null_set(method):
            continue
        nulls = {"untrained": (untrained.get(src), layer, method),
                 "shuffled": (src, layer, shuffled_name(method)),
                 "random": (src, layer, random_name(method))}
        if SetName.parse(method).fitted == "random":
            del nulls["random"]
        for name, col in present.items():
            found = gain(src, layer, method, col)
            if found is None:
                continue
            g, g_samples = found
            base = {"source": src, "layer": layer, "method": method, "score": name,
                    "gain": float(g), "gain_ci_low": interval(g_samples)[0],
                    "gain_ci_high": interval(g_samples)[1]}
            for null, key in nulls.items():
                found = gain(*key, col) if key[0] else None
                if found is None:
                    continue
                n, n_samples = found
                net = g_samples - n_samples
                rows.append(base | {"null": null, "null_source": key[0], "null_method": key[2],
                                    "null_gain": float(n),
                                    "null_gain_ci_low": interval(n_samples)[0],
                                    "null_gain_ci_high": interval(n_samples)[1],
                                    "net": float(g - n), "net_ci_low": interval(net)[0],
                                    "net_ci_high": interval(net)[1], "p": p_value(net)})
    columns = ["source", "layer", "method", "score", "gain", "gain_ci_low", "gain_ci_high",
               "null", "null_source", "null_method", "null_gain", "null_gain_ci_low",
               "null_gain_ci_high", "net", "net_ci_low", "net_ci_high", "p"]
    table = pd.DataFrame(rows, columns=columns)
    table["p_adjusted"] = benjamini_hochberg(table.p.to_numpy())
    table["correction"] = f"Benjamini-Hochberg over the {len(table)} net effects of this table"
    return table
