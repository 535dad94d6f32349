"""The run's results as one Markdown document (``results/RESULTS.md``), generated from
its tables, so that no result is copied by hand: the verdicts, the calibration, the
net effects of K-means and the declared sparse dictionary, and the recovery of planted
features against chance.
"""

from __future__ import annotations

import pandas as pd

from .frontpage import NULLS, SCORE_NAMES, compact_sets, sentences


def markdown_table(table: pd.DataFrame) -> str:
    rows = [list(map(str, table.columns))] + table.astype(str).values.tolist()
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows[1:]]) + "\n"


def _ci(value, low, high) -> str:
    return f"{value:+.2f} [{low:+.2f}, {high:+.2f}]"


def net_rows(net: pd.DataFrame, chosen: list[str]) -> pd.DataFrame:
    """One row per source, layer, chosen set and score: the gain and each net effect
    with its CI and adjusted p."""
    rows = []
    for (src, layer, method, score), g in net[net.method.isin(chosen)].groupby(
            ["source", "layer", "method", "score"], sort=False):
        first = g.iloc[0]
        row = {"source / layer": f"{src} / {layer}", "directions": method,
               "score": SCORE_NAMES.get(score, score)
               + ("" if g.calibrated.all() else " (not calibrated)"),
               "gain": _ci(first.gain, first.gain_ci_low, first.gain_ci_high)}
        for null, label in NULLS.items():
            n = g[g.null == null]
            row[f"net of {label}"] = ("" if n.empty else
                                      _ci(n.net.iloc[0], n.net_ci_low.iloc[0],
                                          n.net_ci_high.iloc[0])
                                      + f", p_adj {n.p_adjusted.iloc[0]:.3f}")
        rows.append(row)
    return pd.DataFrame(rows)


def calibration_rows(calibration: pd.DataFrame, metric: str) -> pd.DataFrame:
    t = calibration[(calibration.metric == metric) & ~calibration.score.str.contains(r"\[")]
    return pd.DataFrame({
        "pool": t.pool, "unit type": t.unit_type, "score": t.score, "n": t.n,
        "mean [95% CI]": [f"{r.mean:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]"
                          for r in t.itertuples()],
        "CI width": t.ci_width.map("{:.3f}".format),
        "expected": [f"{r.expected} ± {r.tolerance:.3f}" if r.expected.startswith("=")
                     else r.expected for r in t.itertuples()],
        "passes": t.passes.map({True: "yes", False: "**no**"})})


def shadow_rows(calibration: pd.DataFrame) -> pd.DataFrame:
    """Per design of the low-level shadow (``ii_excess``: the configured one;
    ``ii_excess[<name>]``: the calibration's candidates), per pool and metric: how many
    of its checks pass, and the unit types it fails with their mean in SDs of a random
    set's II."""
    t = calibration[calibration.score.str.startswith("ii_excess")]
    rows = []
    for (score, pool, metric), g in t.groupby(["score", "pool", "metric"], sort=False):
        failing = g[~g.passes.astype(bool)]
        rows.append({"design": "configured" if score == "ii_excess" else score[10:-1],
                     "pool": pool, "metric": metric,
                     "passes": f"{int(g.passes.sum())} of {len(g)}",
                     "fails (mean, SDs of chance)": ", ".join(
                         f"{r.unit_type} {r.mean / r.scale:+.2f}"
                         for r in failing.itertuples()) or "none"})
    return pd.DataFrame(rows)


def recovery_rows(recovery: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "source / layer": recovery.source + " / " + recovery.layer,
        "directions": recovery.method, "K": recovery.n_found,
        "best cosine": recovery.best_cosine.round(3), "chance": recovery.chance.round(3),
        "above chance": recovery.best_above_chance.round(3),
        "matched": recovery.matched_cosine.round(3),
        "matched chance": recovery.matched_chance.round(3)})


def stability_rows(scores: pd.DataFrame) -> pd.DataFrame:
    """Per source, layer and set fitted twice (one metric's score table): its stability
    across seeds beside the chance level."""
    from .recovery import above_chance

    if "stability" not in scores:
        return pd.DataFrame()
    t = scores.dropna(subset=["stability"]).groupby(
        ["source", "layer", "method"], sort=False).first().reset_index()
    return pd.DataFrame({
        "source / layer": t.source + " / " + t.layer, "directions": t.method,
        "best-match cosine": t.stability.map("{:.3f}".format),
        "chance": t.stability_chance.map("{:.3f}".format),
        "above chance": [f"{above_chance(s, c):.2f}"
                         for s, c in zip(t.stability, t.stability_chance)]})


def catch_trial_rows(catch: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "unit": catch.unit, "metric": catch.metric,
        "II max set": catch.ii_max.map("{:+.3f}".format),
        "II random sets": [f"{r.ii_random_mean:+.3f} ± {r.ii_random_sd:.3f}"
                           for r in catch.itertuples()],
        "beats random": catch.ii_percentile.map("{:.3f}".format),
        "2-AFC accuracy": catch.accuracy.map("{:.3f}".format),
        "MIS": catch.mis.map("{:.3f}".format),
        "easy": catch.easy.map({True: "yes", False: "**no**"})})


def results_markdown(net: pd.DataFrame, calibration: pd.DataFrame,
                     *, recovery: pd.DataFrame | None, metric: str,
                     dictionary: str | None, catch: pd.DataFrame | None = None,
                     flat: pd.DataFrame | None = None,
                     stability: pd.DataFrame | None = None) -> str:
    chosen = compact_sets(net, dictionary)
    passed = int(calibration.passes.sum())
    parts = [
        "# Results of this run", "",
        f"Generated by the workflow from `results/tables/` (metric `{metric}`); every number "
        "below is this run's. Brackets: 95% bootstrap CIs, paired and over groups; `p_adj`: "
        "Benjamini-Hochberg over the net-effect table.", "",
        "## Directions against neurons, net of the nulls", ""]
    parts += [f"- {line}" for line in sentences(net, chosen)] + [""]
    parts += [markdown_table(net_rows(net, chosen)), "",
              "## Calibration: every score on known-answer units", "",
              f"{passed} of {len(calibration)} checks pass (all metrics and shadow designs). "
              "A check of an expected value passes only when its whole 95% CI lies within "
              "the tolerance; a check of a concept, only when the CI lies above chance. "
              f"Under `{metric}`:", "",
              markdown_table(calibration_rows(calibration, metric))]
    shadows = shadow_rows(calibration)
    if len(shadows) and shadows.design.nunique() > 1:
        parts += ["", "### The low-level shadow's designs, compared", "",
                  "Each design's `ii_excess` checks on the same known-answer units "
                  "(`scoring.calibration.shadows`); the configured one gives `ii_excess` "
                  "everywhere else.", "", markdown_table(shadows)]
    if flat is not None and len(flat):
        from .lowlevel import FLAT_R2, FLAT_TOP

        shown = flat[flat.method.isin(["neurons", "kmeans", *chosen])]
        parts += ["", "## Flat crops among the top sets", "",
                  f"Share of each set's {FLAT_TOP} most interpretable directions by each score, "
                  f"and of all its directions, whose responses the low-level basis explains "
                  f"with R² above {FLAT_R2} (out of fold): their top images look alike for "
                  f"their brightness, contrast, colour and texture, whatever their content.", "",
                  markdown_table(pd.DataFrame({
                      "source / layer": shown.source + " / " + shown.layer,
                      "directions": shown.method,
                      f"flat, top {FLAT_TOP} by II": shown.flat_top.map("{:.2f}".format),
                      "by ii_excess": shown.flat_top_ii_excess.map("{:.2f}".format),
                      "by MIS": shown.flat_top_mis.map("{:.2f}".format),
                      "flat among all": shown.flat_all.map("{:.2f}".format)}))]
    if stability is not None and len(stability):
        parts += ["", "## Stability across seeds", "",
                  "Each fitted set fitted again with the next seed: the mean over its "
                  "directions of the best cosine among the second fit's, beside that of as "
                  "many random unit directions (*chance*); *above chance* puts chance at 0 "
                  "and the same directions at 1. A set whose directions move with the seed "
                  "names features less surely than its II alone says.", "",
                  markdown_table(stability)]
    if catch is not None and len(catch):
        from .catch_trials import EASY

        easy = catch.groupby("metric", sort=False).easy.agg(["sum", "size"])
        parts += ["", "## A real positive control: the IMI catch trials", "",
                  "The IMI catch-trial units' natural exemplars: tasks built to be easy for "
                  "people, so a working score finds them easy (its max set beats "
                  f"{EASY['ii_percentile']:.0%} of random sets of the unit's own images, and "
                  f"2-AFC accuracy reaches {EASY['accuracy']}). Easy: "
                  + "; ".join(f"{r['sum']} of {r['size']} units under `{m}`"
                              for m, r in easy.iterrows()) + ".", "",
                  markdown_table(catch_trial_rows(catch))]
    if recovery is not None and len(recovery):
        parts += ["", "## Recovery of planted features, against chance", "",
                  "*best cosine*: mean over planted features of the best |cos| of any "
                  "direction; *chance*: the same for as many random unit directions; "
                  "*matched*: one-to-one matching.", "",
                  markdown_table(recovery_rows(recovery))]
    return "\n".join(parts)
