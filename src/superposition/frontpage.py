"""The report's front page: the net-effect table and the summary figure, as
reStructuredText that the report's description includes (workflow/report/workflow.rst).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

NULLS = {"shuffled": "shuffled fit", "untrained": "untrained network"}


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


def front_page(net: pd.DataFrame, metric: str, figure: str) -> str:
    """RST: which metric, the net effects under II and MIS, and the summary figure
    (embedded, so the single-file report carries it)."""
    png = base64.b64encode(Path(figure).read_bytes()).decode()
    title = "Net effects: are directions more interpretable than neurons, beyond the nulls?"
    parts = [
        title, "=" * len(title), "",
        f"Every number on this page was computed with the perceptual metric ``{metric}``. "
        "*gain*: mean score of the directions minus that of the neurons of the same source "
        "and layer; *net of a null*: the gain minus the same gain under that null (the "
        "method fitted on responses shuffled per unit; the same network untrained). "
        "Brackets: 95% bootstrap CIs.", ""]
    for score, title in (("ii", "Interpretability Index (II)"),
                         ("mis", "Machine Interpretability Score (MIS)")):
        table = net_table(net, score)
        if not table.empty:
            parts.append(list_table(table, f"{title} under {metric}"))
    uri = f"data:image/png;base64,{png}"  # split: docutils joins a URI's lines and
    lines = [uri[i:i + 76] for i in range(0, len(uri), 76)]  # limits their length
    parts += [".. image::"] + [f"   {line}" for line in lines] + ["   :width: 100%", ""]
    return "\n".join(parts)
