"""Figures: one function per panel type, data in, PNG out.

Every method keeps one colour in every figure; axes say what and in which unit;
where values are sampled, intervals are 95% bootstrap confidence intervals.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .methods import SetName  # noqa: E402
from .effects import bootstrap_ci, is_null_set  # noqa: E402

def colour(method: str) -> str:
    """One colour per method, the registry's; K-sweep variants (kmeans@2) share their method's, and a
    shuffled-fit null (kmeans_shuffled) takes a lighter shade of it."""
    from matplotlib.colors import to_hex, to_rgb

    name = SetName.parse(method)
    if name.shuffled:
        rgb = np.array(to_rgb(colour(name.fitted)))
        return to_hex(rgb + (1 - rgb) * 0.55)
    from .directions import METHODS  # every method registered, each with its colour

    return METHODS.fact(name.fitted, "colour", "#17becf") if name.fitted in METHODS else "#17becf"


def _curve_with_ci(ax, table: pd.DataFrame, *, x: str, y: str, color: str, label: str) -> None:
    """Mean of ``y`` at each value of ``x`` with its 95% bootstrap CI as a band."""
    xs = sorted(table[x].unique())
    means = [table[table[x] == v][y].mean() for v in xs]
    cis = np.array([bootstrap_ci(table[table[x] == v][y]) for v in xs])
    ax.plot(xs, means, "-o", color=color, label=label, ms=3)
    ax.fill_between(xs, cis[:, 0], cis[:, 1], color=color, alpha=0.2)


def _save(fig, out: str) -> None:
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)


SCORES = {"ii_pairs": "Interpretability Index\n(- mean pairwise {metric} distance)",
          "mis": "MIS ({metric})\nP(correct) in automated 2-AFC",
          "ii_excess": "II excess ({metric})\nover low-level-matched random sets"}


def ii_by_method(scores: pd.DataFrame, baseline: pd.DataFrame, *, metric: str, title: str,
                 out: str) -> None:
    """Per layer: II (top row, chance band behind), MIS (0.5 = chance) and the II in
    excess of low-level-matched random sets (0 = what the statistics explain) of every
    unit/direction, one box per method."""
    scores = scores[scores.metric == metric]
    layers = list(dict.fromkeys(scores.layer))
    methods = list(dict.fromkeys(scores.method))
    rows = [c for c in SCORES if c in scores]
    fig, axes = plt.subplots(len(rows), len(layers),
                             figsize=(2.2 + 0.5 * len(methods) * len(layers), 3.2 * len(rows)),
                             sharey="row", squeeze=False, layout="constrained")
    base = baseline[baseline.metric == metric].ii_pairs
    for r, column in enumerate(rows):
        for ax, layer in zip(axes[r], layers):
            if column == "ii_pairs" and len(base):
                ax.axhspan(*np.percentile(base, [2.5, 97.5]), color="0.9", zorder=0,
                           label="random images (95%)")
                ax.axhline(base.mean(), color="0.6", lw=1, ls="--", zorder=0)
            if column in ("mis", "ii_excess"):
                level = 0.5 if column == "mis" else 0.0
                ax.axhline(level, color="0.6", lw=1, ls="--", zorder=0,
                           label=f"chance ({level:g})")
            data = [scores[(scores.layer == layer) & (scores.method == m)][column]
                    for m in methods]
            box = ax.boxplot(data, patch_artist=True, widths=0.6, showfliers=False)
            for patch, m in zip(box["boxes"], methods):
                patch.set_facecolor(colour(m))
                patch.set_alpha(0.55)
            rng = np.random.default_rng(0)
            for i, (m, d) in enumerate(zip(methods, data), start=1):
                ax.scatter(i + rng.uniform(-0.18, 0.18, len(d)), d, s=6, color=colour(m),
                           zorder=3)
            ax.set_xticks(range(1, len(methods) + 1), methods, rotation=45, ha="right")
            ax.set_title(layer)
        axes[r, 0].set_ylabel(SCORES[column].format(metric=metric))
        axes[r, 0].legend(loc="lower left", fontsize=7, frameon=False)
    fig.suptitle(title)
    _save(fig, out)


def ii_by_size(scores: pd.DataFrame, metric: str, *, title: str, out: str) -> None:
    """Per layer: mean II (95% bootstrap CI) of each method's directions against the
    dictionary size K / n (n = number of units), one line per method over its sizes
    (``method`` and ``method@ratio`` sets), with the neurons' mean as a line and band.
    Does a bigger dictionary give more interpretable directions?"""
    scores = scores[(scores.metric == metric) & ~scores.method.map(is_null_set)]
    fig, panels = _layer_axes(scores, width=3.6, height=3.4)
    for ax, layer in panels:
        rows = scores[scores.layer == layer]
        n_units = (rows.method == "neurons").sum() or rows.groupby("method").size().min()
        neurons = rows[rows.method == "neurons"].ii_pairs
        if len(neurons):
            ax.axhspan(*bootstrap_ci(neurons), color=colour("neurons"), alpha=0.15, lw=0)
            ax.axhline(neurons.mean(), color=colour("neurons"), lw=1.5, label="neurons")
        sizes = rows[rows.method != "neurons"].groupby("method").ii_pairs.agg(
            ["size", "mean", lambda v: tuple(bootstrap_ci(v))]).reset_index()
        sizes.columns = ["method", "k", "mean", "ci"]
        sizes["base"] = [SetName.parse(m).base for m in sizes.method]
        sizes["ratio"] = sizes.k / n_units
        bases = list(dict.fromkeys(sizes.base))
        for base, line in sizes.sort_values("ratio").groupby("base", sort=False):
            ci = np.array(line.ci.tolist())
            dodge = 2 ** (0.06 * (bases.index(base) - (len(bases) - 1) / 2))  # apart at one K
            ax.errorbar(line.ratio * dodge, line["mean"], yerr=[line["mean"] - ci[:, 0],
                                                                ci[:, 1] - line["mean"]],
                        fmt="-o", ms=4, capsize=2, color=colour(base), label=base)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("dictionary size K / n (log scale)")
        ax.set_title(f"{layer} (n = {n_units})")
    panels[0][0].set_ylabel(SCORES["ii_pairs"].format(metric=metric))
    panels[-1][0].legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle(title)
    _save(fig, out)


RANKED = {"ii_pairs": "II", "ii_excess": "ii_excess", "mis": "MIS"}


def mei_grid(scores: pd.DataFrame, images, *, metric: str, methods: list[str], n_show: int,
             title: str, out: str) -> None:
    """Top-k images of each method's most interpretable units by each score (II, then
    ``ii_excess`` and MIS where the table has them) and its least interpretable by II;
    a set the four statistics explain (low-level R^2 above ``FLAT_R2``) is marked flat."""
    from .lowlevel import FLAT_R2

    scores = scores[(scores.metric == metric) & scores.method.isin(methods)]
    ranks = [c for c in ("ii_pairs", "ii_excess", "mis")
             if c in scores and scores[c].notna().any()]
    rows = []
    for m in methods:
        s = scores[scores.method == m]
        for c in ranks:
            best = s.sort_values(c, ascending=False, kind="stable").head(n_show)
            rows += [(m, f"best by {RANKED[c]}", r) for r in best.itertuples()]
        worst = s.sort_values("ii_pairs", ascending=False, kind="stable").tail(n_show)
        rows += [(m, "worst by II", r) for r in worst.iloc[::-1].itertuples()]
    k = len(rows[0][2].top_k.split()) if rows else 5
    width, height = 1.0 * k + 1.6, 1.08 * len(rows) + 0.5  # square cells, room for labels
    fig, axes = plt.subplots(len(rows), k, figsize=(width, height), squeeze=False)
    fig.subplots_adjust(left=1.6 / width, right=0.99, bottom=0.1 / height,
                        top=1 - 0.45 / height, wspace=0.04, hspace=0.08)
    for i, (m, kind, r) in enumerate(rows):
        for j, idx in enumerate(map(int, r.top_k.split())):
            ax = axes[i, j]
            ax.imshow(np.asarray(images[idx]))
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_color(colour(m))
                side.set_linewidth(2)
        flat = " flat" if getattr(r, "lowlevel_r2", 0) > FLAT_R2 else ""
        axes[i, 0].set_ylabel(f"{m} {kind}\n{r.direction.split(':')[-1]}  II={r.ii_pairs:.3f}"
                              f"{flat}", fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=9)
    _save(fig, out)


def psychophysics_curves(table: pd.DataFrame, title: str, out: str) -> None:
    """In-silico 2-AFC accuracy vs query difficulty, per layer and method: the hard
    observer (solid, 95% CI) and the z-scored softmax observer's P(correct) (dashed)."""
    layers = list(dict.fromkeys(table.layer))
    fig, axes = plt.subplots(1, len(layers), figsize=(3.2 * len(layers), 3.4), sharey=True,
                             squeeze=False, layout="constrained")
    for ax, layer in zip(axes[0], layers):
        sub = table[table.layer == layer]
        for m, g in sub.groupby("method", sort=False):
            _curve_with_ci(ax, g, x="quantile", y="accuracy", color=colour(m), label=m)
            soft = g.groupby("quantile").p_softmax.mean()
            ax.plot(soft.index, soft.values, "--", color=colour(m), lw=1)
        ax.axhline(0.5, color="0.5", ls=":", lw=1)
        ax.set_title(layer)
        ax.set_xlabel("query quantile (0 = most extreme)")
    axes[0, 0].set_ylabel("2-AFC accuracy (mean over units, 95% CI)")
    axes[0, 0].set_ylim(0.3, 1.02)
    axes[0, -1].plot([], [], "--", color="0.4", lw=1, label="soft observer, P(correct)")
    axes[0, -1].legend(fontsize=7, frameon=False)
    fig.suptitle(title)
    _save(fig, out)


def imi_auc(stats: pd.DataFrame, model: str, *, metric: str, title: str, out: str) -> None:
    """The paper's Fig. 2: AUC of in-silico evidence for human correctness, per layer
    stage (panels) and confidence (x), for the metric in all and per metric layer,
    from the max-side references alone (dashed) and as the MIS observer's delta
    (dash-dot)."""
    t = stats[(stats.model == model) & stats.predictor.str.startswith(f"{metric}:")]
    if t.empty:
        raise ValueError(f"no IMI trials of model {model!r} with metric {metric!r}; set "
                         f"imi.figure_model to one of {sorted(set(stats.model) - {'all'})}")
    groups = [g for g in dict.fromkeys(t.layer_group) if g != "all"] + ["all"]
    side, mis = f"{metric}:max_side", f"{metric}:mis"
    parts = [p for p in dict.fromkeys(t.predictor) if p not in (side, mis)] + [side, mis]
    parts = [p for p in parts if p in set(t.predictor)]
    style = {side: "--", mis: "-."}
    confs = ["1", "2", "3", "all"]
    fig, axes = plt.subplots(1, len(groups), figsize=(2.6 * len(groups), 3.3), sharey=True,
                             squeeze=False, layout="constrained")
    cmap = plt.get_cmap("viridis")
    for ax, group in zip(axes[0], groups):
        g = t[t.layer_group == group]
        for i, pred in enumerate(parts):
            rows = g[g.predictor == pred].set_index("confidence").reindex(confs)
            whole = pred in (f"{metric}:all", side, mis)
            ax.plot(range(len(confs)), rows.auc, style.get(pred, "-o"),
                    ms=3 if whole else 2, lw=1.5 if whole else 0.8,
                    color="k" if whole else cmap(i / len(parts)),
                    label={f"{metric}:all": metric, side: f"{metric}, max side only",
                           mis: f"{metric}, MIS delta (mean pooling)"}
                    .get(pred, pred.split(":", 1)[1]))
        n = g[g.confidence == "all"].n_trials.max()
        ax.set_title(f"{group} (n = {n:.0f})", fontsize=9)
        ax.set_xticks(range(len(confs)), confs)
        ax.set_xlabel("human confidence")
        ax.axhline(0.5, color="0.5", ls=":", lw=1)
    axes[0, 0].set_ylabel("ROC AUC: evidence predicts human correct")
    axes[0, -1].legend(fontsize=6, frameon=False, loc="lower right")
    fig.suptitle(title)
    _save(fig, out)


def imi_units(units: pd.DataFrame, unit_stats: pd.DataFrame, *, metric: str, title: str,
              out: str) -> None:
    """Per unit: human score vs II (scatter, one colour per model), and per model the
    Spearman rho with its 95% bootstrap CI against the split-half noise ceiling."""
    ii = f"ii:{metric}"
    fig, (ax, bars) = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained",
                                   width_ratios=[1.1, 1])
    models = sorted(units.model.unique())
    cmap = plt.get_cmap("tab10")
    for i, m in enumerate(models):
        g = units[units.model == m]
        ax.scatter(g[ii], g.human_score, s=10, color=cmap(i % 10), label=m, alpha=0.8)
    ax.set_xlabel(f"II of the unit's top-k exemplars ({metric})")
    ax.set_ylabel("human score (share of trials correct)")
    ax.legend(fontsize=6, frameon=False)
    s = unit_stats[unit_stats.predictor == ii].set_index("model")
    order = ["all", *models]
    s = s.reindex([m for m in order if m in s.index])
    y = np.arange(len(s))
    bars.errorbar(s.spearman, y, xerr=[s.spearman - s.ci_low, s.ci_high - s.spearman],
                  fmt="o", color="k", ms=4, label="Spearman rho (95% CI)")
    bars.scatter(s.ceiling, y, marker="|", s=200, color="tab:red", label="noise ceiling")
    bars.axvline(0, color="0.5", lw=0.8)
    bars.set_yticks(y, [f"{m} ({n:.0f} units)" for m, n in zip(s.index, s.n_units)],
                    fontsize=7)
    bars.invert_yaxis()
    bars.set_xlabel("Spearman rho, human score vs II")
    bars.set_xlim(-1.05, 1.05)
    bars.legend(fontsize=6, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.15),
                ncol=2)
    fig.suptitle(title)
    _save(fig, out)


def recovery_bars(table: pd.DataFrame, title: str, out: str) -> None:
    """Ground-truth recovery score per direction method, a panel per planted layer."""
    layers = list(dict.fromkeys(table.layer))
    width = 1 + 0.7 * table.method.nunique()
    fig, axes = plt.subplots(1, len(layers), figsize=(width * len(layers), 3.2), squeeze=False,
                             sharey=True)
    for ax, layer in zip(axes[0], layers):
        rows = table[table.layer == layer]
        ax.bar(rows.method, rows.matched_cosine, color=[colour(m) for m in rows.method])
        ax.scatter(rows.method, rows.best_cosine, color="k", marker="_", s=200,
                   label="best cosine per true feature", zorder=3)
        if "chance" in rows:
            ax.scatter(rows.method, rows.chance, color="0.5", marker="_", s=200, zorder=3,
                       label="best cosine of as many random directions (chance)")
            ax.scatter(rows.method, rows.matched_chance, color="0.5", marker="x", s=20,
                       zorder=3, label="matched cosine of random directions (chance)")
        ax.set_ylim(0, 1.05)
        ax.tick_params(axis="x", rotation=45)
        ax.set_title(f"{layer}: {int(rows.n_true.iloc[0])} planted features", fontsize=8)
    axes[0, 0].set_ylabel("matched cosine to planted features")
    axes[0, -1].legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(title, fontsize=9)
    _save(fig, out)


SWEEP_MARKERS = ["v", "^", "s", "D", "P", "X", "*"]  # K-sweep variants, in ratio order


def markers(methods) -> dict[str, str]:
    """A marker per direction set: circles for K = n, one shape per K-sweep ratio."""
    ratio = {m: SetName.parse(m).ratio for m in methods}
    ratios = sorted({r for r in ratio.values() if r is not None})
    return {m: "o" if ratio[m] is None else
            SWEEP_MARKERS[ratios.index(ratio[m]) % len(SWEEP_MARKERS)] for m in methods}


SUMMARY_SCORES = {"ii": "II", "ii_excess": "II excess (bland-image control)", "mis": "MIS"}


def _row_positions(rows: pd.DataFrame, labels: list[str], *, j: int, n: int) -> np.ndarray:
    """y of each row's "source / layer" line, shifted within it for the j-th of n sets."""
    base = np.array([labels.index(f"{s} / {lay}") for s, lay in zip(rows.source, rows.layer)])
    return base + (j - (n - 1) / 2) * 0.8 / max(n, 1)


def summary(table: pd.DataFrame, net: pd.DataFrame, *, metric: str, out: str) -> None:
    """Net effects of every direction set over the neurons, per source/layer, one panel
    per score: net of the shuffled-fit null (filled) and of the untrained network
    (hollow), with the raw gain in a lighter shade; 95% bootstrap CIs."""
    null_sources = set(net.null_source[net.null == "untrained"])
    table = table[~table.source.isin(null_sources) & (table.method != "neurons")
                  & ~table.method.map(is_null_set)]
    names = [n for n in SUMMARY_SCORES if f"gain_{n}" in table]
    labels = list(dict.fromkeys(table.source + " / " + table.layer))
    methods = list(dict.fromkeys(table.method))
    marker = markers(methods)
    fig, axes = plt.subplots(1, len(names), figsize=(4.6 * len(names) + 1.8,
                                                     0.5 * len(labels) + 1.6),
                             sharey=True, squeeze=False)
    for ax, name in zip(axes[0], names):
        for j, m in enumerate(methods):
            t = table[table.method == m]
            y = _row_positions(t, labels, j=j, n=len(methods))
            g = t[f"gain_{name}"]
            ax.errorbar(g, y, xerr=[g - t[f"gain_{name}_ci_low"], t[f"gain_{name}_ci_high"] - g],
                        fmt=marker[m], color=colour(m), alpha=0.3, ms=4, lw=1)
            for null, face in (("shuffled", colour(m)), ("untrained", "white")):
                n = net[(net.score == name) & (net.method == m) & (net.null == null)]
                if n.empty:
                    continue
                ax.errorbar(n.net, _row_positions(n, labels, j=j, n=len(methods)),
                            xerr=[n.net - n.net_ci_low, n.net_ci_high - n.net],
                            fmt=marker[m], color=colour(m), mfc=face, ms=5, lw=1.2)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel(f"{SUMMARY_SCORES[name]}: directions - neurons\n"
                      f"> 0: directions more interpretable")
    axes[0, 0].set_yticks(range(len(labels)), labels, fontsize=8)
    axes[0, 0].invert_yaxis()
    handles = [plt.Line2D([], [], ls="", marker=marker[m], color=colour(m), label=m)
               for m in methods]
    handles += [plt.Line2D([], [], ls="", marker="o", color="0.3", label="net of shuffled fit"),
                plt.Line2D([], [], ls="", marker="o", color="0.3", mfc="white",
                           label="net of untrained network"),
                plt.Line2D([], [], ls="", marker="o", color="0.3", alpha=0.3,
                           label="raw gain (lighter)")]
    axes[0, -1].legend(handles=handles, fontsize=7, frameon=False, bbox_to_anchor=(1, 1),
                       loc="upper left")
    fig.suptitle(f"Net effects: gain of directions over neurons beyond the matched nulls "
                 f"({metric}, 95% CIs)", fontsize=10)
    _save(fig, out)


def agreement(table: pd.DataFrame, title: str, out: str) -> None:
    """Per source/layer: Spearman of II and MIS over the units of each direction set
    (95% CI), and whether the two scores order the direction sets alike."""
    labels = list(dict.fromkeys(table.source + " / " + table.layer))
    methods = list(dict.fromkeys(table.method))
    marker = markers(methods)
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(labels) + 1.4))
    for j, m in enumerate(methods):
        t = table[table.method == m]
        ax.errorbar(t.spearman, _row_positions(t, labels, j=j, n=len(methods)),
                    xerr=[t.spearman - t.ci_low, t.ci_high - t.spearman],
                    fmt=marker.get(m, "o"), color=colour(m), label=m, ms=4, lw=1)
    order = table.drop_duplicates(["source", "layer"])
    ax.set_yticks(range(len(labels)),
                  [f"{lab}\nmethod order rho {r:.2f}" for lab, r in
                   zip(labels, order.set_index(order.source + " / " + order.layer)
                       .loc[labels].order_spearman)], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("Spearman rho of II and MIS over units (95% CI)")
    ax.legend(fontsize=7, frameon=False, bbox_to_anchor=(1, 1), loc="upper left")
    ax.set_title(title, fontsize=9)
    _save(fig, out)


# -- further analyses: one figure each, all layers of a source as panels -------------------

from .registry import Registry  # noqa: E402

ANALYSIS_FIGURES: Registry = Registry("analysis figure")


def _layer_axes(table: pd.DataFrame, width: float = 3.2, *, height: float = 3.2, sharey=True):
    layers = list(dict.fromkeys(table.layer))
    fig, axes = plt.subplots(1, len(layers), figsize=(width * len(layers), height),
                             sharey=sharey, squeeze=False, layout="constrained")
    return fig, list(zip(axes[0], layers))


@ANALYSIS_FIGURES.register("synergy")
def synergy_figure(table, metric, *, title, out):
    """Histogram of synergy per layer; inset relation to the better constituent's II."""
    fig, panels = _layer_axes(table, height=3.4)
    for ax, layer in panels:
        t = table[table.layer == layer]
        ax.hist(t.synergy, bins=30, color=colour("neurons"), alpha=0.8)
        ax.axvline(0, color="k", lw=0.8)
        share = (t.synergy > 0).mean()
        ax.set_title(f"{layer}: {share:.0%} of {len(t)} pairs > 0", fontsize=9)
        ax.set_xlabel("synergy: II(pair) - max(II(i), II(j))")
        inset = ax.inset_axes([0.62, 0.55, 0.35, 0.4])
        inset.scatter(np.maximum(t.ii_i, t.ii_j), t.synergy, s=3, color="0.3")
        inset.set_xlabel("better constituent II", fontsize=6)
        inset.tick_params(labelsize=5)
    panels[0][0].set_ylabel("neuron pairs")
    fig.suptitle(title)
    _save(fig, out)


@ANALYSIS_FIGURES.register("interpolation")
def interpolation_figure(table, metric, *, title, out):
    fig, panels = _layer_axes(table)
    for ax, layer in panels:
        t = table[table.layer == layer]
        for _, g in t.groupby("pair"):
            ax.plot(g.alpha, g.ii, color=colour("kmeans"), alpha=0.15, lw=0.8)
        _curve_with_ci(ax, t, x="alpha", y="ii", color=colour("kmeans"), label="mean (95% CI)")
        ax.set_title(layer)
        ax.set_xlabel("mixing weight w: (1-w) d1 + w d2")
    panels[0][0].set_ylabel(f"II ({metric})")
    panels[0][0].legend(fontsize=7, frameon=False)
    fig.suptitle(title)
    _save(fig, out)


@ANALYSIS_FIGURES.register("split")
def split_figure(table, metric, *, title, out):
    fig, panels = _layer_axes(table)
    for ax, layer in panels:
        t = table[table.layer == layer]
        groups = [(h, b) for h in dict.fromkeys(t.half) for b in ("neurons", "kmeans")]
        data = [t[(t.half == h) & (t.basis == b)].ii for h, b in groups]
        box = ax.boxplot(data, patch_artist=True, showfliers=False, widths=0.6)
        for patch, (_, b) in zip(box["boxes"], groups):
            patch.set_facecolor(colour(b))
            patch.set_alpha(0.55)
        ax.set_xticks(range(1, len(groups) + 1),
                      [f"{h.split()[0]}\n{b}" for h, b in groups], fontsize=7)
        ax.set_title(layer)
    panels[0][0].set_ylabel(f"II ({metric})")
    fig.suptitle(title)
    _save(fig, out)


@ANALYSIS_FIGURES.register("semantics")
def semantics_figure(table, metric, *, title, out):
    """Mean top-k label/factor purity per method (bars) against chance (ticks)."""
    attributes = list(dict.fromkeys(table.attribute))
    if not attributes:
        fig, ax = plt.subplots(figsize=(4, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "this image pool has no categorical labels or factors",
                ha="center", va="center")
        ax.set_title(title, fontsize=9)
        _save(fig, out)
        return
    fig, axes = plt.subplots(1, len(attributes), figsize=(3.4 * len(attributes), 3.4),
                             squeeze=False, sharey=True, layout="constrained")
    for ax, attr in zip(axes[0], attributes):
        t = table[table.attribute == attr]
        methods = list(dict.fromkeys(t.method))
        means = [t[t.method == m].purity.mean() for m in methods]
        ax.bar(methods, means, color=[colour(m) for m in methods])
        ax.axhline(t.chance.iloc[0], color="k", ls="--", lw=1, label="chance")
        rho = t[["ii", "purity"]].corr(method="spearman").iloc[0, 1]
        ax.set_title(f"{attr} (Spearman II-purity {rho:.2f})", fontsize=9)
        ax.tick_params(axis="x", rotation=60, labelsize=7)
    axes[0, 0].set_ylabel("top-k purity (share with the modal value)")
    axes[0, 0].legend(fontsize=7, frameon=False)
    fig.suptitle(title)
    _save(fig, out)


@ANALYSIS_FIGURES.register("spectrum")
def spectrum_figure(table, metric, *, title, out):
    fig, ax = plt.subplots(figsize=(4.5, 3.6), layout="constrained")
    for i, layer in enumerate(dict.fromkeys(table.layer)):
        t = table[table.layer == layer]
        line, = ax.loglog(t["rank"], t.eigenvalue / t.eigenvalue.iloc[0], lw=1.2,
                          label=f"{layer}: alpha = {t.alpha.iloc[0]:.2f}")
        first, last = t.fit_first.iloc[0], t.fit_last.iloc[0]
        r = np.arange(first, last + 1)
        fit = np.exp(t.intercept.iloc[0]) * r ** (-t.alpha.iloc[0]) / t.eigenvalue.iloc[0]
        ax.loglog(r, fit, "--", color=line.get_color(), lw=0.8)
    ax.set_xlabel("component rank")
    ax.set_ylabel("variance (relative to the first)")
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(title, fontsize=9)
    _save(fig, out)


@ANALYSIS_FIGURES.register("sparsity")
def sparsity_figure(table, metric, *, title, out):
    """II against lifetime sparseness, per unit or direction, neurons and K-means."""
    table = table[(table.metric == metric) & table.method.isin(["neurons", "kmeans"])]
    fig, panels = _layer_axes(table, sharey=False)
    for ax, layer in panels:
        t = table[table.layer == layer]
        for m, g in t.groupby("method", sort=False):
            rho = g[["sparsity", "ii_pairs"]].corr(method="spearman").iloc[0, 1]
            ax.scatter(g.sparsity, g.ii_pairs, s=8, color=colour(m), label=f"{m} (rho {rho:.2f})")
        ax.set_xlabel("lifetime sparseness")
        ax.set_title(layer)
        ax.legend(fontsize=7, frameon=False)
    panels[0][0].set_ylabel(f"II ({metric})")
    fig.suptitle(title)
    _save(fig, out)


def zoo(table: pd.DataFrame, metric: str, out: str) -> None:
    """Gain over the neurons by relative depth, one panel per score, one colour per
    model and one line style per method, with 95% CIs: architectures side by side."""
    scores = [s for s in ("ii", "mis", "ii_excess") if s in set(table.score)] or ["ii"]
    titles = {"ii": "II", "mis": "MIS", "ii_excess": "II excess over matched sets"}
    fig, axes = plt.subplots(1, len(scores), figsize=(4.6 * len(scores), 3.8), squeeze=False)
    models = list(dict.fromkeys(table.architecture))
    cmap = plt.get_cmap("tab10")
    styles = ["-", "--", ":", "-."]
    methods = list(dict.fromkeys(table.method))
    for ax, score in zip(axes[0], scores):
        part = table[table.score == score]
        for i, model in enumerate(models):
            for j, method in enumerate(methods):
                rows = part[(part.architecture == model) & (part.method == method)]
                rows = rows.sort_values("depth")
                if rows.empty:
                    continue
                err = [rows.gain - rows.gain_ci_low, rows.gain_ci_high - rows.gain]
                ax.errorbar(rows.depth.to_numpy(float), rows.gain, yerr=err, fmt="o",
                            ls=styles[j % len(styles)], color=cmap(i % 10), ms=3, capsize=2,
                            label=f"{model}, {method}")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_title(titles[score], fontsize=9)
        ax.set_xlabel("relative depth (stage / number of stages)")
        ax.set_xlim(0, 1.05)
    axes[0][0].set_ylabel("gain of directions over neurons")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=7,
               bbox_to_anchor=(0.5, -0.02 - 0.05 * (len(labels) // 4)))
    fig.suptitle(f"Model zoo: directions against neurons by depth ({metric}; 0 = no gain, "
                 f"bars: 95% CI)", fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    _save(fig, out)


def calibration(table: pd.DataFrame, out: str) -> None:
    """Every known-answer check: the mean with its 95% CI against the expected value,
    one panel per score, a row per pool, metric and unit type; failures in red. The II
    scores are drawn in SDs of a random set's II, so every metric shares an axis."""
    scores = [s for s in ("ii", "mis", "ii_excess") if s in set(table.score)] + sorted(
        s for s in set(table.score) if s.startswith("ii_excess["))
    rows = table[["pool", "metric", "unit_type"]].drop_duplicates()
    labels = [f"{r.pool} / {r.metric} / {r.unit_type}" for r in rows.itertuples()]
    fig, axes = plt.subplots(1, len(scores), figsize=(3.6 * len(scores) + 3.5,
                                                       0.2 * len(rows) + 1.5),
                             sharey=True, squeeze=False)
    titles = {"ii": "II above chance (SDs of a random set's II)", "mis": "MIS",
              "ii_excess": "ii_excess (SDs of a random set's II)"}
    for ax, score in zip(axes[0], scores):
        t = table[table.score == score]
        for y, r in enumerate(rows.itertuples()):
            hit = t[(t.pool == r.pool) & (t.metric == r.metric) & (t.unit_type == r.unit_type)]
            if hit.empty:
                continue
            h = hit.iloc[0]
            mean, low, high, tol = (h["mean"] / h.scale, h.ci_low / h.scale,
                                    h.ci_high / h.scale, h.tolerance / h.scale)
            ax.errorbar(mean, y, xerr=[[mean - low], [high - mean]], fmt="o", ms=4,
                        color="#2ca02c" if h.passes else "#d62728")
            value = float(h.expected.split()[1])
            if h.expected.startswith("="):
                ax.fill_betweenx([y - 0.4, y + 0.4], value - tol, value + tol, color="0.85",
                                 zorder=0)
            else:
                ax.plot([value, value], [y - 0.4, y + 0.4], color="0.5", lw=1)
        ax.set_title(titles.get(score, f"{score}: another shadow\n(SDs of a random set's II)"),
                     fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(rows)), labels, fontsize=6)
    axes[0][0].invert_yaxis()
    fig.suptitle("Calibration: every score on known-answer units (green: passes, red: fails; "
                 "grey: the expected value and its tolerance)", fontsize=9)
    _save(fig, out)


def pooled_forest(table: pd.DataFrame, method: str, *, title: str, out: str) -> None:
    """A brain area's sessions and their pooled verdict: the net effect of ``method``
    over its shuffled-fit null with its 95% CI, one panel per score, a row per session
    (by animal) and the pooled row last, in black."""
    t = table[table.method == method]
    scores = list(dict.fromkeys(t.score))
    rows = t[["level", "source", "animal"]].drop_duplicates()
    rows = pd.concat([rows[rows.level == "session"].sort_values(["animal", "source"]),
                      rows[rows.level == "pooled"]])
    labels = [f"{r.animal} {r.source}" if r.level == "session" else
              "pooled (animals, sessions, units)" for r in rows.itertuples()]
    fig, axes = plt.subplots(1, len(scores), figsize=(3.6 * len(scores) + 2.5,
                                                       0.35 * len(rows) + 1.6),
                             sharey=True, squeeze=False)
    for ax, score in zip(axes[0], scores):
        s = t[t.score == score].set_index("source")
        for y, r in enumerate(rows.itertuples()):
            h = s.loc[r.source]
            ax.errorbar(h.net, y, xerr=[[h.net - h.net_ci_low], [h.net_ci_high - h.net]],
                        fmt="D" if r.level == "pooled" else "o", ms=5,
                        color="k" if r.level == "pooled" else colour(method))
        ax.axvline(0, color="0.5", lw=1)
        ax.set_title(f"{score}: net of {method} over {method}_shuffled", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(rows)), labels, fontsize=8)
    axes[0][0].invert_yaxis()
    fig.suptitle(title, fontsize=9, y=1.02)
    _save(fig, out)
