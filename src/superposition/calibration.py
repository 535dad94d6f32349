"""Known-answer units: synthetic units built from a pool's own images, whose scores
are known before they are measured, so that every score and control can be checked.

Unit types (responses: images x units, no network needed):
- ``lowlevel``: a function of the image statistics alone (random mixtures of the
  four statistics, and each statistic's two tails: darkest, smoothest, ...).
  Expected: ``ii_excess`` 0; II and MIS may be anything (bland images do look alike).
- ``noise``: i.i.d. Gaussian responses. Expected: II at chance, MIS 0.5, ``ii_excess`` 0.
- ``group``: the crops of one photograph (pools with groups, scored one per group).
  Expected: as noise, since one image per group leaves nothing shared.
- ``concept``: one value of a label or factor across groups (a shape class on
  ``shapes``), covering at least 80% of MIS's quantile of the pool (a narrower one
  leaves MIS's top quarter mostly unrelated images). Expected: clearly above chance
  under every score.
- ``sparse_concept``: one such value, active on a small fraction of images with a
  graded response and exactly zero elsewhere. Expected: II and MIS above chance.

Concept attributes are named per pool (``calibration.concepts``); by default a
pool's label, where it is not the group.

The II is calibrated as II minus the pool's random-set II (the chance level), so
every expected value is 0, 0.5 (MIS) or above them.

A check of an expected value v with tolerance t passes unless the mean's 95% CI lies
wholly outside v +- t (a bias larger than t is shown); a check of "above v" passes
when the CI lies wholly above v.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .lowlevel import STATISTICS, standardise

UNIT_TYPES = ("lowlevel", "noise", "group", "concept", "sparse_concept")
# unit type -> score -> (relation, value); a score not listed has no known answer
EXPECTED = {
    "lowlevel": {"ii_excess": ("=", 0.0)},
    "noise": {"ii": ("=", 0.0), "mis": ("=", 0.5), "ii_excess": ("=", 0.0)},
    "group": {"ii": ("=", 0.0), "mis": ("=", 0.5), "ii_excess": ("=", 0.0)},
    "concept": {"ii": (">", 0.0), "mis": (">", 0.5), "ii_excess": (">", 0.0)},
    "sparse_concept": {"ii": (">", 0.0), "mis": (">", 0.5)},
}
DEFAULTS = {"n_units": 48, "sparse_fraction": 0.03, "mis_tolerance": 0.05,
            "ii_tolerance": 0.25,  # in SDs of the random sets' II
            "concepts": {}}  # pool -> attributes; default: the label, where not the group
TAILS = {"luminance": ("brightest", "darkest"), "rms_contrast": ("highest_contrast",
                                                                 "lowest_contrast"),
         "colourfulness": ("most_colourful", "least_colourful"),
         "high_frequency": ("sharpest", "smoothest")}


def _concept_values(labels: np.ndarray, groups: np.ndarray | None, k: int,
                    need: int) -> list:
    """Values with at least ``need`` images and, where the pool has groups, at least
    ``k`` of them (a label that names the group is no concept)."""
    values = []
    for value in np.unique(labels):
        members = labels == value
        if members.sum() >= need and (groups is None or
                                      len(np.unique(groups[members])) >= k):
            values.append(value)
    return values


def known_units(stats: np.ndarray, seed: int, k: int = 5, n_units: int = 48,
                groups: np.ndarray | None = None, concepts: dict | None = None,
                sparse_fraction: float = 0.03, concept_share: float = 0.2,
                min_active: int = 20) -> tuple[np.ndarray, pd.DataFrame]:
    """(images x units) responses of every known-answer type the pool allows, and a
    table naming each unit (``unit``, ``unit_type``). ``groups``: the groups the
    scores take one image from, or None; ``concepts``: attribute -> each image's
    value; ``concept_share``: the smallest share of the pool a concept covers."""
    rng = np.random.default_rng(seed)
    n = len(stats)
    z = standardise(stats)
    columns, names, kinds = [], [], []

    def add(kind, name, response):
        columns.append(np.asarray(response, np.float64))
        names.append(f"{kind}:{name}")
        kinds.append(kind)

    for i, stat in enumerate(STATISTICS):
        high, low = TAILS[stat]
        add("lowlevel", high, z[:, i])
        add("lowlevel", low, -z[:, i])
    for j in range(max(0, n_units - 2 * len(STATISTICS))):
        w = rng.standard_normal(len(STATISTICS))
        add("lowlevel", f"mix{j}", z @ (w / np.linalg.norm(w)))
    for j in range(n_units):
        add("noise", str(j), rng.standard_normal(n))
    if groups is not None:
        for g in rng.permutation(np.unique(groups))[:n_units]:
            add("group", str(g), (groups == g) + 0.01 * rng.standard_normal(n))
    for kind, need in (("concept", int(np.ceil(concept_share * n))),
                       ("sparse_concept", max(min_active, 4 * k))):
        values = [(attr, v) for attr, labels in (concepts or {}).items()
                  for v in _concept_values(np.asarray(labels), groups, k, need)]
        for attr, value in [values[i % len(values)] for i in range(n_units)] if values else []:
            labels = np.asarray(concepts[attr])
            members = np.flatnonzero(labels == value)
            if kind == "concept":
                add(kind, f"{attr}={value}", (labels == value) + 0.01 * rng.standard_normal(n))
                continue
            n_active = min(len(members), max(min_active, int(round(sparse_fraction * n))))
            sparse = np.zeros(n)
            sparse[rng.choice(members, n_active, replace=False)] = rng.uniform(0.5, 1.5,
                                                                               n_active)
            add(kind, f"{attr}={value}", sparse)
    table = pd.DataFrame({"unit": names, "unit_type": kinds})
    table["unit"] = _unique(table.unit)
    return np.stack(columns, 1), table


def _unique(names: pd.Series) -> list[str]:
    """Repeated unit names (one concept drawn twice) numbered: concept:a, concept:a#1."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}#{count}")
    return out


def _ci(values: np.ndarray, n_boot: int, rng) -> tuple[float, float]:
    if len(values) < 2:
        return float("nan"), float("nan")
    means = values[rng.integers(0, len(values), (n_boot, len(values)))].mean(1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def check(relation: str, value: float, tolerance: float, low: float, high: float) -> bool:
    """Whether a mean's 95% CI [low, high] agrees with the expected relation."""
    if relation == ">":
        return bool(low > value)
    return bool(high >= value - tolerance and low <= value + tolerance)


def calibration_table(units: pd.DataFrame, tolerances: dict, n_boot: int = 1000,
                      seed: int = 0) -> pd.DataFrame:
    """Per pool, metric, unit type and score with a known answer: the mean with its 95%
    bootstrap CI, the expected value, the tolerance and whether the check passes.

    ``units``: one row per known-answer unit with ``pool, metric, unit_type`` and a
    column per score (``ii`` above chance, ``mis``, ``ii_excess``), and ``chance_sd``
    (the SD of a random set's II, the II scores' scale); ``tolerances``: ``"ii"`` in
    those SDs, ``"mis"`` absolute.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for (pool, metric, kind), g in units.groupby(["pool", "metric", "unit_type"], sort=False):
        for score, (relation, value) in EXPECTED[kind].items():
            if score not in g or g[score].isna().all():
                continue
            values = g[score].dropna().to_numpy(float)
            scale = 1.0 if score == "mis" else float(g.chance_sd.iloc[0])
            tol = tolerances["mis"] if score == "mis" else tolerances["ii"] * scale
            low, high = _ci(values, n_boot, rng)
            rows.append({"pool": pool, "metric": metric, "unit_type": kind, "score": score,
                         "n": len(values), "mean": values.mean(), "ci_low": low,
                         "ci_high": high, "expected": f"{relation} {value:g}",
                         "tolerance": 0.0 if relation == ">" else tol, "scale": scale,
                         "passes": check(relation, value, tol, low, high)})
    return pd.DataFrame(rows, columns=["pool", "metric", "unit_type", "score", "n", "mean",
                                       "ci_low", "ci_high", "expected", "tolerance", "scale",
                                       "passes"])


def failing_checks(table: pd.DataFrame, metric: str) -> dict[tuple[str, str], list[str]]:
    """(pool, score) -> the unit types whose check the score fails under ``metric``."""
    t = table[(table.metric == metric) & ~table.passes.astype(bool)]
    return {key: list(g.unit_type) for key, g in t.groupby(["pool", "score"])}
