"""The report's front page, as reStructuredText that the report's description
includes (workflow/report/workflow.rst): one generated sentence per source and layer
on what the calibrated scores say about directions against neurons net of the nulls,
the compact figure (K-means and the sparse dictionary declared in figures.dictionary),
the calibration figure, the net-effect tables and the detail figure of every direction
set.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

NULLS = {"shuffled": "shuffled fit", "untrained": "untrained network",
         "random": "random dictionary"}
SCORE_NAMES = {"ii": "II", "mis": "MIS", "ii_excess": "ii_excess"}
ALPHA = 0.05  # false discovery rate of the verdicts


def shown_dictionary(sparse_sets: list[str], declared: str | None = None) -> str | None:
    """The sparse dictionary shown beside K-means: the one declared (``figures.dictionary``),
    else the most overcomplete of the run's sparse dictionaries (the largest K ratio, the
    first of equals): a rule fixed before the run, never a result."""
    from .methods import SetName

    if declared is not None:
        if declared not in sparse_sets:
            raise ValueError(f"figures.dictionary is {declared!r}, not a sparse dictionary "
                             f"among the direction sets {sparse_sets}: name one of them, or "
                             f"null for the most overcomplete")
        return declared
    ratios = [SetName.parse(s).ratio or 1.0 for s in sparse_sets]
    return sparse_sets[ratios.index(max(ratios))] if sparse_sets else None


def compact_sets(net: pd.DataFrame, dictionary: str | None) -> list[str]:
    """K-means (the paper's method) and the sparse dictionary declared before the run
    (``figures.dictionary``), where the table has them: never one chosen by its result."""
    return [m for m in ("kmeans", dictionary) if m is not None and m in set(net.method)]


def _verdict(rows: pd.DataFrame) -> str:
    """more / less interpretable where every null's net effect is clear in one sign (CI
    beside 0, adjusted p below ALPHA); else what each null says."""
    up = (rows.net_ci_low > 0) & (rows.p_adjusted < ALPHA)
    down = (rows.net_ci_high < 0) & (rows.p_adjusted < ALPHA)
    if up.all():
        return "more interpretable"
    if down.all():
        return "less interpretable"
    if not (up | down).any():
        return "no clear difference"
    return ", ".join(f"{'more' if u else 'less' if d else 'no clear difference'} net of "
                     f"the {NULLS[null]}" for null, u, d in zip(rows.null, up, down))


def sentences(net: pd.DataFrame, chosen: list[str]) -> list[str]:
    """One sentence per source and layer: each chosen set's verdict under each
    calibrated score, net of every null."""
    out = []
    for (src, layer), g in net[net.method.isin(chosen)].groupby(["source", "layer"],
                                                               sort=False):
        parts = []
        for method, h in g.groupby("method", sort=False):
            said = []
            for score, rows in h.groupby("score", sort=False):
                name = SCORE_NAMES.get(score, score)
                if not rows.calibrated.all():
                    said.append(f"{name}: not calibrated on this pool")
                    continue
                nets = ", ".join(f"{r.net:+.2f} [{r.net_ci_low:+.2f}, {r.net_ci_high:+.2f}] "
                                 f"net of the {NULLS[r.null]}" for r in rows.itertuples())
                said.append(f"{name} {_verdict(rows)} ({nets})")
            parts.append(f"*{method}*: " + "; ".join(said))
        out.append(f"**{src} / {layer}** - directions against neurons: " + ". ".join(parts)
                   + ".")
    return out


def _interval(value: float, low: float, high: float) -> str:
    return f"{value:+.2f} [{low:+.2f}, {high:+.2f}]"


def net_table(net: pd.DataFrame, score: str) -> pd.DataFrame:
    """One row per source, layer and direction set: the raw gain and the net effect over
    each null, as 'value [95% CI]' text."""
    t = net[net.score == score]
    rows = []
    for (src, layer, method), g in t.groupby(["source", "layer", "method"], sort=False):
        first = g.iloc[0]
        row = {"source / layer": f"{src} / {layer}", "directions": method,
               "gain": _interval(first.gain, first.gain_ci_low, first.gain_ci_high)}
        for null, label in NULLS.items():
            n = g[g.null == null]
            row[f"net of {label}"] = ("" if n.empty else
                                      _interval(n.net.iloc[0], n.net_ci_low.iloc[0],
                                                n.net_ci_high.iloc[0]))
        rows.append(row)
    return pd.DataFrame(rows)


def list_table(table: pd.DataFrame, title: str) -> str:
    lines = [f".. list-table:: {title}", "   :header-rows: 1", ""]
    for row in [list(table.columns)] + table.astype(str).values.tolist():
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" for cell in row[1:]]
    return "\n".join(lines) + "\n"


def _image(figure: str) -> list[str]:
    png = base64.b64encode(Path(figure).read_bytes()).decode()
    uri = f"data:image/png;base64,{png}"  # split: docutils joins a URI's lines and
    lines = [uri[i:i + 76] for i in range(0, len(uri), 76)]  # limits their length
    return [".. image::"] + [f"   {line}" for line in lines] + ["   :width: 100%", ""]


def front_page(net: pd.DataFrame, metric: str, chosen: list[str], fails: dict,
               pools: dict[str, str], compact: str, detail: str,
               calibration: pd.DataFrame, calibration_figure: str, *,
               blind: dict | None = None) -> str:
    """RST: the verdicts, the compact figure, the calibration, the net effects under
    II and MIS, and the detail figure (embedded, so the single-file report carries
    them). ``fails``: (pool, score) -> the unit types whose expected value the score
    misses (a bias, which withholds its verdicts); ``blind``: those it fails to see
    above chance."""
    title = "Are directions more interpretable than neurons, beyond the nulls?"
    passed = int(calibration.passes.sum())

    def listed(checks):
        return "; ".join(f"{score} on {pool} ({', '.join(kinds)})"
                         for (pool, score), kinds in sorted(checks.items())
                         if pool in set(pools.values()))

    flagged, unseen = listed(fails), listed(blind or {})
    parts = [
        title, "=" * len(title), "",
        f"Every number on this page was computed with the perceptual metric ``{metric}``. "
        "*Net of a null*: the gain of the directions' mean score over the neurons' minus "
        "the same gain under that null (the method fitted on responses shuffled per unit; "
        "the same network untrained; random unit directions at the set's K). Brackets: 95% "
        "bootstrap CIs, paired and over groups. "
        f"A verdict needs every null's CI on one side of 0 and a Benjamini-Hochberg "
        f"adjusted p below {ALPHA} over the table's net effects. Only scores that pass "
        "their known-answer checks of an expected value (chance, 0) on the source's pool "
        "give a verdict.", ""]
    parts += [f"- {line}" for line in sentences(net, chosen)] + [""]
    parts += _image(compact)
    cal_title = "Calibration: every score on units whose answer is known"
    parts += [cal_title, "-" * len(cal_title), "",
              f"{passed} of {len(calibration)} known-answer checks pass. "
              + (f"Biased under ``{metric}`` (a check of an expected value fails, so these "
                 f"scores give no verdict on the pool): {flagged}. " if flagged else
                 f"No score is biased under ``{metric}``. ")
              + (f"Blind spots (units with a concept the score does not find above "
                 f"chance): {unseen}." if unseen else ""), ""] + _image(calibration_figure)
    for score, title in (("ii", "Interpretability Index (II)"),
                         ("mis", "Machine Interpretability Score (MIS)")):
        table = net_table(net, score)
        if not table.empty:
            parts.append(list_table(table, f"{title} under {metric}"))
    parts += ["The detail view: every direction set.", ""] + _image(detail)
    return "\n".join(parts)
