"""The paper's claims set beside this run's numbers, each with a verdict.

Each claim is tested in *cases* (a network and a layer): an estimate with a 95%
bootstrap CI whose sign says which way the case points (positive: the claim's way).
A case counts *for* the claim when its whole CI lies on the claim's side, *against*
when it lies on the other. The verdict follows the cases, by a rule fixed here before
any run: **holds** when every case is for it; **partly** when some are; **does not
hold** when none is; **not testable here** when the run has no case (the analysis
was not configured). Where the cases for it are some layers or some depths only,
the document says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

N_BOOT = 2000
SEED = 0

# The paper's statements (paper-spec section 9 and the sections it points to)
STATEMENTS = {
    "directions": ("K-means directions have higher II than individual neurons in CNNs "
                   "(paper-spec 3.4, 9; ResNet-50 layer1: -0.140 against -0.158)"),
    "kmeans_best": ("K-means beats the other direction methods: SAE between K-means and the "
                    "neurons; PCA, ICA, NMF not better (paper-spec 3.3, 9)"),
    "k": "II rises with the number of directions, K = n/2, n, 2n (paper-spec 3.2, 6)",
    "difficulty": ("in-silico 2-AFC accuracy falls as the task gets harder, queries from less "
                   "extreme activation quantiles (paper-spec 2.3, Fig. 5)"),
    "sparsity": "interpretability rises with sparse activation (paper-spec 7)",
    "mixtures": "II decreases for mixtures of two K-means directions (paper-spec 7)",
    "synergy": "feature synergy exists for a minority of neuron pairs (paper-spec 7, 9)",
    "brains": ("the conclusions \"largely transfer\" to recorded neurons: directions beat "
               "neurons in the brain too (paper-spec 5, 9; no numbers published)"),
}
OTHER_METHODS = ("pca", "ica", "nmf", "topk_sae")


@dataclass
class Case:
    """One network and layer: an estimate (positive: the claim's way) and its CI."""

    source: str
    layer: str
    estimate: float
    low: float
    high: float
    what: str = ""

    @property
    def side(self) -> str:
        return "for" if self.low > 0 else "against" if self.high < 0 else "unclear"


@dataclass
class Claim:
    key: str
    measure: str  # what each case's number is
    cases: list[Case] = field(default_factory=list)
    note: str = ""
    # the case attributes a partly held claim is split by, each with its word
    splits: tuple = (("layer", "layer"), ("source", "network"))

    @property
    def verdict(self) -> str:
        if not self.cases:
            return "not testable here"
        sides = [c.side for c in self.cases]
        if all(s == "for" for s in sides):
            return "holds"
        return "partly" if "for" in sides else "does not hold"

    def where(self) -> str:
        """Where a partly held claim holds: the layers and the networks with cases for it,
        and those with none, where that splits them."""
        if self.verdict != "partly":
            return ""
        parts = []
        for key, word in self.splits:
            groups: dict[str, list[bool]] = {}
            for c in self.cases:
                groups.setdefault(getattr(c, key), []).append(c.side == "for")
            some = [g for g, sides in groups.items() if any(sides)]
            none = [g for g, sides in groups.items() if not any(sides)]
            if some and none:
                parts.append(f"depends on the {word}: cases for it at {', '.join(some)}, "
                             f"none at {', '.join(none)}")
        return "; ".join(parts) or "some cases for it in every " + " and ".join(
            word for _, word in self.splits)


def _boot_mean(x: np.ndarray, rng) -> tuple[float, float, float]:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return (float(x.mean()) if len(x) else np.nan, np.nan, np.nan)
    means = x[rng.integers(0, len(x), (N_BOOT, len(x)))].mean(axis=1)
    return float(x.mean()), *map(float, np.quantile(means, [0.025, 0.975]))


def _boot_difference(a: np.ndarray, b: np.ndarray, rng) -> tuple[float, float, float]:
    """mean(a) - mean(b), the two sets resampled independently (different directions)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    da = a[rng.integers(0, len(a), (N_BOOT, len(a)))].mean(axis=1)
    db = b[rng.integers(0, len(b), (N_BOOT, len(b)))].mean(axis=1)
    return float(a.mean() - b.mean()), *map(float, np.quantile(da - db, [0.025, 0.975]))


def _boot_spearman(x: np.ndarray, y: np.ndarray, rng) -> tuple[float, float, float]:
    from scipy.stats import rankdata

    rx, ry = rankdata(x), rankdata(y)
    rho = float(np.corrcoef(rx, ry)[0, 1])
    idx = rng.integers(0, len(x), (N_BOOT, len(x)))
    boots = [np.corrcoef(rankdata(x[i]), rankdata(y[i]))[0, 1] for i in idx]
    return rho, *map(float, np.nanquantile(boots, [0.025, 0.975]))


def directions_beat_neurons(summary: pd.DataFrame, first_layers: dict[str, str]) -> Claim:
    """K-means' II gain over the neurons (paired CI) at each trained network's first layer."""
    claim = Claim("directions", "II(K-means) - II(neurons), paired CI")
    for source, layer in first_layers.items():
        row = summary[(summary.source == source) & (summary.layer == layer)
                      & (summary.method == "kmeans")]
        if len(row):
            r = row.iloc[0]
            claim.cases.append(Case(source, layer, r.gain_ii, r.gain_ii_ci_low,
                                    r.gain_ii_ci_high))
    return claim


def _set_differences(claim: Claim, scores: pd.DataFrame, *, sources: list[str],
                     pairs: list[tuple[str, str, str]]) -> Claim:
    """A case per network, layer and (set, other set, label) of ``pairs``: the mean II of
    the set minus that of the other, the two resampled independently."""
    rng = np.random.default_rng(SEED)
    for (source, layer), t in scores[scores.source.isin(sources)].groupby(
            ["source", "layer"], sort=False):
        for first, second, what in pairs:
            a, b = t[t.method == first].ii_pairs, t[t.method == second].ii_pairs
            if len(a) and len(b):
                claim.cases.append(Case(source, layer, *_boot_difference(a, b, rng), what))
    return claim


def kmeans_beats_others(scores: pd.DataFrame, sources: list[str]) -> Claim:
    """Mean II of K-means minus that of each other method, per network and layer."""
    return _set_differences(
        Claim("kmeans_best", "mean II(K-means) - mean II(method), CI over directions"),
        scores, sources=sources, pairs=[("kmeans", method, method) for method in OTHER_METHODS])


def ii_rises_with_k(scores: pd.DataFrame, sources: list[str]) -> Claim:
    """Mean II of K-means at K = 2n minus at K = n/2."""
    return _set_differences(
        Claim("k", "mean II(K-means, K = 2n) - mean II(K-means, K = n/2)"),
        scores, sources=sources, pairs=[("kmeans@2", "kmeans@0.5", "")])


def accuracy_falls_with_difficulty(psycho: pd.DataFrame, sources: list[str]) -> Claim:
    """Per direction, accuracy at the easiest quantile minus at the hardest; mean over the
    neurons and K-means directions with its CI."""
    rng = np.random.default_rng(SEED)
    claim = Claim("difficulty", "accuracy(easiest quantile) - accuracy(hardest), CI over units")
    for (source, layer), t in psycho[psycho.source.isin(sources)].groupby(
            ["source", "layer"], sort=False):
        q = sorted(t["quantile"].unique())
        if len(q) < 2:
            continue
        wide = t.pivot_table(index=["method", "direction"], columns="quantile",
                             values="accuracy")
        claim.cases.append(Case(source, layer, *_boot_mean(wide[q[0]] - wide[q[-1]], rng)))
    return claim


def sparsity_tracks_ii(scores: pd.DataFrame, sources: list[str]) -> Claim:
    """Spearman correlation of II with lifetime sparseness over the neurons."""
    rng = np.random.default_rng(SEED)
    claim = Claim("sparsity", "Spearman rho(II, lifetime sparseness) over the neurons")
    for (source, layer), t in scores[scores.source.isin(sources)
                                     & (scores.method == "neurons")].groupby(
            ["source", "layer"], sort=False):
        t = t[np.isfinite(t.sparsity) & np.isfinite(t.ii_pairs)]
        if len(t) >= 5:
            claim.cases.append(Case(source, layer, *_boot_spearman(
                t.sparsity.to_numpy(), t.ii_pairs.to_numpy(), rng)))
    return claim


def mixtures_lose_ii(interpolation: pd.DataFrame, sources: list[str]) -> Claim:
    """Per pair of K-means directions: the mean II of its two ends minus the II of the
    even mixture (alpha 0.5)."""
    rng = np.random.default_rng(SEED)
    claim = Claim("mixtures", "mean II(ends) - II(even mixture), CI over pairs")
    for (source, layer), t in interpolation[interpolation.source.isin(sources)].groupby(
            ["source", "layer"], sort=False):
        wide = t.pivot_table(index="pair", columns="alpha", values="ii")
        if not {0.0, 0.5, 1.0} <= set(wide.columns):
            continue
        drop = (wide[0.0] + wide[1.0]) / 2 - wide[0.5]
        claim.cases.append(Case(source, layer, *_boot_mean(drop.to_numpy(), rng)))
    return claim


def synergy_in_a_minority(synergy: pd.DataFrame, sources: list[str]) -> Claim:
    """Share of neuron pairs with synergy > 0: the claim is a minority, so the case's
    number is 0.5 minus that share (positive: a minority) and the share must exceed 0
    (some synergy exists), both beyond their CIs."""
    rng = np.random.default_rng(SEED)
    claim = Claim("synergy", "0.5 - share of pairs with synergy > 0 (share > 0 required)")
    for (source, layer), t in synergy[synergy.source.isin(sources)].groupby(
            ["source", "layer"], sort=False):
        positive = (t.synergy.to_numpy() > 0).astype(float)
        share, low, high = _boot_mean(positive, rng)
        case = Case(source, layer, 0.5 - share, 0.5 - high, 0.5 - low,
                    what=f"share {share:.2f} [{low:.2f}, {high:.2f}]")
        if share == 0:  # no synergy at all: not a minority that shows it
            case.low = case.high = -1.0
        claim.cases.append(case)
    return claim


def brains_follow(pooled: pd.DataFrame | None) -> Claim:
    """K-means' gain over the neurons net of its shuffled-fit null, pooled over an area's
    sessions and animals (:mod:`superposition.pooled`): a case per area and score."""
    claim = Claim("brains", "net of K-means over its shuffled-fit null, pooled; CI from a "
                  "hierarchical bootstrap over animals, sessions and units",
                  splits=(("what", "score"), ("layer", "area")))
    if pooled is None:
        return claim
    rows = pooled[pooled.method == "kmeans"]
    for r in rows[rows.level == "pooled"].itertuples():
        claim.cases.append(Case(f"{r.n_sessions} sessions, {r.n_animals} animals", r.area,
                                r.net, r.net_ci_low, r.net_ci_high, what=r.score))
    sessions = rows[rows.level == "session"]
    counts = sessions.groupby(["area", "score"], sort=False).verdict.value_counts()
    claim.note = "Sessions one by one (" + "; ".join(
        f"{area} {score}: " + ", ".join(f"{n} {v}" for v, n in c.droplevel([0, 1]).items())
        for (area, score), c in counts.groupby(level=[0, 1], sort=False)) + ")."
    return claim


def _fmt(c: Case) -> str:
    if not np.isfinite(c.low):
        return f"{c.estimate:+.3f}"
    return f"{c.estimate:+.3f} [{c.low:+.3f}, {c.high:+.3f}]"


def claims_markdown(claims: list[Claim], *, context: dict, nulls: pd.DataFrame,
                    accuracy: pd.DataFrame) -> str:
    """The document: for each claim, the paper's statement, the verdict, and every case
    with its CI; K-means' nets over both nulls at the first layer beside claim 1."""
    lines = [f"# {context['title']}", "",
             "Generated by the workflow (`results/CLAIMS.md`) from this run's tables; nothing "
             "is copied by hand.", "",
             f"- commit {context['commit']}; configuration: {context['config']}",
             f"- images: {context['pool']}",
             f"- perceptual metric for every II number: `{context['metric']}`"
             + (f" ({context['metric_note']})" if context.get("metric_note") else ""),
             "- brackets: 95% bootstrap CIs; a case counts *for* a claim when its whole CI lies "
             "on the claim's side. Verdict: **holds** (every case for), **partly** (some), "
             "**does not hold** (none), **not testable here** (no case).", ""]
    if len(accuracy):
        lines += ["## The networks' weights loaded right", "",
                  "| source | images | top-1 | chance |", "|---|---|---|---|"]
        lines += [f"| {r.source} | {r.n_images} | {r.top1:.3f} | {r.chance:.3g} |"
                  for r in accuracy.itertuples()]
        lines += [""]
    lines += ["## Verdicts", "", "| claim | paper | verdict | where |", "|---|---|---|---|"]
    for c in claims:
        lines.append(f"| {c.key} | {STATEMENTS[c.key]} | **{c.verdict}** | {c.where()} |")
    for c in claims:
        lines += ["", f"## {c.key}: {c.verdict}", "", f"Paper: {STATEMENTS[c.key]}.", "",
                  f"Measure: {c.measure}."]
        if c.note:
            lines += ["", c.note]
        if not c.cases:
            lines += ["", "No case: the run did not configure what this claim needs."]
            continue
        extra = any(x.what for x in c.cases)
        lines += ["", "| source | layer | " + ("compared | " if extra else "")
                  + "estimate [95% CI] | case |",
                  "|---|---|" + ("---|" if extra else "") + "---|---|"]
        for x in c.cases:
            lines.append(f"| {x.source} | {x.layer} | " + (f"{x.what} | " if extra else "")
                         + f"{_fmt(x)} | {x.side} |")
        if c.key == "directions" and len(nulls):
            lines += ["", "The same gain net of each null (II; paired CIs; Benjamini-Hochberg "
                      "adjusted p over the run's net-effect table):", "",
                      "| source | layer | null | net [95% CI] | p_adj |", "|---|---|---|---|---|"]
            for x in c.cases:
                n = nulls[(nulls.source == x.source) & (nulls.layer == x.layer)
                          & (nulls.method == "kmeans") & (nulls.score == "ii")]
                lines += [f"| {x.source} | {x.layer} | {r.null} | {r.net:+.3f} "
                          f"[{r.net_ci_low:+.3f}, {r.net_ci_high:+.3f}] | {r.p_adjusted:.3f} |"
                          for r in n.itertuples()]
    return "\n".join(lines) + "\n"
