"""Known-answer units: synthetic units built from a pool's own images, whose scores
are known before they are measured, so that every score and control can be checked,
and the checks can fail.

Unit types (responses: images x units, no network needed), each with its expected
answer per score (``EXPECTED``; a score not listed has no known answer):

- ``lowlevel``: functions of the control's own four statistics (each one's two
  tails, random mixtures). Expected: ``ii_excess`` 0.
- ``probe_lowlevel``: the same built from statistics the control has never seen
  (:mod:`.probes`: CIELAB, HSV, the spectrum, the histogram). Expected: ``ii_excess``
  0; a control calibrated on its own basis alone would pass ``lowlevel`` and fail this.
- ``noise``, ``heavy_noise``, ``spiky_noise``: i.i.d. Gaussian, Student-t (3 degrees of
  freedom) and rare spikes (1% of the images, exponential) on Gaussian noise. Expected:
  II at chance, MIS 0.5, ``ii_excess`` 0.
- ``heavy_lowlevel``, ``spiky_lowlevel``: a low-level drive (a mixture of the four
  statistics, unit SD) plus that heavy-tailed or spiky noise: their top sets are
  chosen by the noise. Expected: ``ii_excess`` 0.
- ``group``: the crops of one photograph (pools with groups, scored one per group).
  Expected: as noise, since one image per group leaves nothing shared.
- ``one_photograph``: the same unit scored *without* one image per group, so its top
  images are crops of one photograph: a positive control on pools of photographs.
  Expected: II and MIS above chance.
- ``concept``: one value of a label or factor across groups (a shape class on
  ``shapes``), covering at least 80% of MIS's quantile of the pool. Expected: clearly
  above chance under every score.
- ``sparse_concept``: one such value, active on a small fraction of images with a
  graded response, and 1e-9 noise elsewhere (no ties, so no check passes by a tie
  rule). Expected: II and MIS above chance.
- ``neighbourhood``: minus the metric's distance to one image (built per metric, in
  its own space). Expected: II and MIS above chance, on every pool.
- ``narrow_neighbourhood``: the image's 4k nearest neighbours (one per group where the
  scores take one), graded, and 1e-9 noise elsewhere: a concept much narrower than
  MIS's quantile. Expected: II and MIS above chance.

Concept attributes are named per pool (``calibration.concepts``); by default a
pool's label, where it is not the group.

The II is calibrated as II minus the mean II of ``CHANCE_SETS`` random k-sets of the
pool (the chance level, one image per group where the scores take one), so every
expected value is 0, 0.5 (MIS) or above them.

A check of an expected value v with tolerance t passes only when the mean's whole 95%
CI lies inside v +- t; a check of "above v" only when the CI lies wholly above v. The
tolerances are settings, fixed before a run; each check reports its CI's width, so a
check whose CI is wider than its band (too few units) is seen to fail for that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .lowlevel import STATISTICS, standardise

UNIT_TYPES = ("lowlevel", "probe_lowlevel", "noise", "heavy_noise", "spiky_noise",
              "heavy_lowlevel", "spiky_lowlevel", "group", "one_photograph", "concept",
              "sparse_concept", "neighbourhood", "narrow_neighbourhood")
_CHANCE = {"ii": ("=", 0.0), "mis": ("=", 0.5), "ii_excess": ("=", 0.0)}
_ABOVE = {"ii": (">", 0.0), "mis": (">", 0.5)}
# unit type -> score -> (relation, value); a score not listed has no known answer
EXPECTED = {
    "lowlevel": {"ii_excess": ("=", 0.0)},
    "probe_lowlevel": {"ii_excess": ("=", 0.0)},
    "noise": _CHANCE, "heavy_noise": _CHANCE, "spiky_noise": _CHANCE,
    "heavy_lowlevel": {"ii_excess": ("=", 0.0)},
    "spiky_lowlevel": {"ii_excess": ("=", 0.0)},
    "group": _CHANCE,
    "one_photograph": _ABOVE,
    "concept": _ABOVE | {"ii_excess": (">", 0.0)},
    "sparse_concept": _ABOVE,
    "neighbourhood": _ABOVE,
    "narrow_neighbourhood": _ABOVE,
}
DEFAULTS = {"n_units": 400, "sparse_fraction": 0.03, "mis_tolerance": 0.05,
            "ii_tolerance": 0.25,  # in SDs of the random sets' II
            "concepts": {},  # pool -> attributes; default: the label, where not the group
            # other designs of the low-level shadow, scored beside the configured one
            # (ii_excess[<name>]): settings over scoring.lowlevel_baseline
            "shadows": {"first_design": {"hinges": False, "residuals": "gaussian",
                                         "space": "ranks", "folds": 1}}}
TAILS = {"luminance": ("brightest", "darkest"), "rms_contrast": ("highest_contrast",
                                                                 "lowest_contrast"),
         "colourfulness": ("most_colourful", "least_colourful"),
         "high_frequency": ("sharpest", "smoothest")}
SPIKE_SHARE = 0.01  # the share of images a spiky unit fires on
# random k-sets behind the chance level a calibration measures II from: its error (SD /
# sqrt(5000), 0.014 SD) is shared by every check of a pool and metric, so it must be far
# inside their band (0.25 SD); the pool's chance table has 500 (0.045 SD)
CHANCE_SETS = 5000
TINY = 1e-9  # noise on a sparse unit's silent images: no ties


def _concept_values(labels: np.ndarray, groups: np.ndarray | None, *, k: int,
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


def _tails_and_mixtures(z: np.ndarray, names: list[tuple[str, str]], *, n_units: int, rng,
                        add, kind: str) -> None:
    """Each standardised column's two tails, then random unit-norm mixtures up to
    ``n_units``."""
    for i, (high, low) in enumerate(names):
        add(kind, high, z[:, i])
        add(kind, low, -z[:, i])
    for j in range(max(0, n_units - 2 * len(names))):
        w = rng.standard_normal(z.shape[1])
        add(kind, f"mix{j}", z @ (w / np.linalg.norm(w)))


def _spikes(n: int, rng) -> np.ndarray:
    """Rare exponential spikes on ``SPIKE_SHARE`` of ``n`` images, zero elsewhere."""
    out = np.zeros(n)
    hit = rng.choice(n, max(1, int(round(SPIKE_SHARE * n))), replace=False)
    out[hit] = rng.exponential(5.0, len(hit))
    return out


def known_units(stats: np.ndarray, probes: np.ndarray, seed: int, *, k: int = 5,
                n_units: int = 400, groups: np.ndarray | None = None,
                concepts: dict | None = None, sparse_fraction: float = 0.03,
                concept_share: float = 0.2, min_active: int = 20) -> tuple[np.ndarray,
                                                                          pd.DataFrame]:
    """(images x units) responses of every known-answer type built from the pool's
    statistics (the control's four, ``stats``, and the probes, :mod:`.probes`) and
    labels, and a table naming each unit (``unit``, ``unit_type``). ``groups``: the
    groups the scores take one image from, or None; ``concepts``: attribute -> each
    image's value; ``concept_share``: the smallest share of the pool a concept covers.
    The types built from a metric's distances or scored without groups come from
    :func:`neighbourhood_units` and :func:`photograph_units`."""
    rng = np.random.default_rng(seed)
    n = len(stats)
    z = standardise(stats)
    columns, names, kinds = [], [], []

    def add(kind, name, response):
        columns.append(np.asarray(response, np.float64))
        names.append(f"{kind}:{name}")
        kinds.append(kind)

    from .probes import PROBES

    _tails_and_mixtures(z, [TAILS[s] for s in STATISTICS], n_units=n_units, rng=rng, add=add,
                        kind="lowlevel")
    _tails_and_mixtures(standardise(probes), [(f"high_{p}", f"low_{p}") for p in PROBES],
                        n_units=n_units, rng=rng, add=add, kind="probe_lowlevel")
    for j in range(n_units):
        add("noise", str(j), rng.standard_normal(n))
        add("heavy_noise", str(j), rng.standard_t(3, n))
        add("spiky_noise", str(j), _spikes(n, rng) + 0.1 * rng.standard_normal(n))
    for j in range(n_units):
        w = rng.standard_normal(z.shape[1])
        drive = z @ w
        drive /= drive.std() if drive.std() > 0 else 1
        add("heavy_lowlevel", str(j), drive + rng.standard_t(3, n))
        add("spiky_lowlevel", str(j), drive + _spikes(n, rng))
    if groups is not None:  # photographs repeat where there are fewer: new noise each time
        photos = rng.permutation(np.unique(groups))
        for j in range(n_units):
            g = photos[j % len(photos)]
            add("group", str(g), (groups == g) + 0.01 * rng.standard_normal(n))
    for kind, need in (("concept", int(np.ceil(concept_share * n))),
                       ("sparse_concept", max(min_active, 4 * k))):
        values = [(attr, v) for attr, labels in (concepts or {}).items()
                  for v in _concept_values(np.asarray(labels), groups, k=k, need=need)]
        for attr, value in [values[i % len(values)] for i in range(n_units)] if values else []:
            labels = np.asarray(concepts[attr])
            members = np.flatnonzero(labels == value)
            if kind == "concept":
                add(kind, f"{attr}={value}", (labels == value) + 0.01 * rng.standard_normal(n))
                continue
            n_active = min(len(members), max(min_active, int(round(sparse_fraction * n))))
            sparse = TINY * rng.standard_normal(n)
            sparse[rng.choice(members, n_active, replace=False)] = rng.uniform(0.5, 1.5,
                                                                               n_active)
            add(kind, f"{attr}={value}", sparse)
    return _named(columns, names, kinds)


def _named(columns: list, names: list, kinds: list) -> tuple[np.ndarray, pd.DataFrame]:
    table = pd.DataFrame({"unit": names, "unit_type": kinds})
    table["unit"] = _unique(table.unit)
    return np.stack(columns, 1), table


def photograph_units(groups: np.ndarray, seed: int, *, n_units: int = 400,
                     k: int = 5) -> tuple[np.ndarray, pd.DataFrame]:
    """``one_photograph`` units: each one photograph's crops (with at least ``k``),
    for scoring without one image per group."""
    rng = np.random.default_rng(seed + 1)
    values, counts = np.unique(groups, return_counts=True)
    usable = values[counts >= k]
    chosen = [usable[i % len(usable)] for i in range(n_units)] if len(usable) else []
    columns = [(groups == g) + 0.01 * rng.standard_normal(len(groups)) for g in chosen]
    if not columns:
        return np.empty((len(groups), 0)), pd.DataFrame(columns=["unit", "unit_type"])
    return _named(columns, [f"one_photograph:{g}" for g in chosen],
                  ["one_photograph"] * len(columns))


def neighbourhood_units(distances, seed: int, *, n_units: int = 400, k: int = 5,
                        groups: np.ndarray | None = None) -> tuple[np.ndarray, pd.DataFrame]:
    """``neighbourhood`` and ``narrow_neighbourhood`` units around random anchor images,
    from ``distances(anchors) -> (images x anchors)`` under one metric."""
    rng = np.random.default_rng(seed + 2)
    anchors = rng.choice(distances.n_images, n_units, replace=n_units > distances.n_images)
    d = np.asarray(distances(anchors), np.float64)
    n = len(d)
    columns, names, kinds = [], [], []
    n_narrow = 4 * k if groups is None else min(4 * k, len(np.unique(groups)) - 1)
    for j, anchor_d in enumerate(d.T):
        columns.append(-anchor_d + TINY * rng.standard_normal(n))
        names.append(f"neighbourhood:{j}")
        kinds.append("neighbourhood")
        order = np.argsort(anchor_d, kind="stable")
        if groups is not None:  # the nearest image of each of the nearest groups
            _, first = np.unique(groups[order], return_index=True)
            order = order[np.sort(first)]
        narrow = TINY * rng.standard_normal(n)
        narrow[order[:n_narrow]] = np.linspace(1.0, 0.5, n_narrow)
        columns.append(narrow)
        names.append(f"narrow_neighbourhood:{j}")
        kinds.append("narrow_neighbourhood")
    return _named(columns, names, kinds)


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


def check(relation: str, value: float, *, tolerance: float, low: float, high: float) -> bool:
    """Whether a mean's 95% CI [low, high] shows the expected relation: all of it
    inside value +- tolerance, or all of it above value."""
    if relation == ">":
        return bool(low > value)
    return bool(low >= value - tolerance and high <= value + tolerance)


def known_answer(unit_type: str, score: str) -> tuple[str, float] | None:
    """(relation, value) of a score of a unit type, or None where it has none; a
    candidate design's ``ii_excess[<name>]`` has ``ii_excess``'s answer."""
    return EXPECTED[unit_type].get(score.split("[")[0])


def score_columns(units: pd.DataFrame) -> list[str]:
    """The scores of a calibration's units table: II, MIS, ``ii_excess`` and each
    candidate shadow's ``ii_excess[<name>]``."""
    return [c for c in units if c in ("ii", "mis", "ii_excess") or c.startswith("ii_excess[")]


def calibration_table(units: pd.DataFrame, tolerances: dict, *, n_boot: int = 1000,
                      seed: int = 0) -> pd.DataFrame:
    """Per pool, metric, unit type and score with a known answer: the mean with its 95%
    bootstrap CI, the expected value, the tolerance and whether the check passes.

    ``units``: one row per known-answer unit with ``pool, metric, unit_type`` and a
    column per score (``ii`` above chance, ``mis``, ``ii_excess`` and its candidates,
    :func:`score_columns`), and ``chance_sd`` (the SD of a random set's II, the II
    scores' scale); ``tolerances``: ``"ii"`` in those SDs, ``"mis"`` absolute.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for (pool, metric, kind), g in units.groupby(["pool", "metric", "unit_type"], sort=False):
        for score in score_columns(g):
            answer = known_answer(kind, score)
            if answer is None or g[score].isna().all():
                continue
            relation, value = answer
            values = g[score].dropna().to_numpy(float)
            scale = 1.0 if score == "mis" else float(g.chance_sd.iloc[0])
            tol = tolerances["mis"] if score == "mis" else tolerances["ii"] * scale
            low, high = _ci(values, n_boot, rng)
            rows.append({"pool": pool, "metric": metric, "unit_type": kind, "score": score,
                         "n": len(values), "mean": values.mean(), "ci_low": low,
                         "ci_high": high, "ci_width": high - low,
                         "expected": f"{relation} {value:g}",
                         "tolerance": 0.0 if relation == ">" else tol, "scale": scale,
                         "passes": check(relation, value, tolerance=tol, low=low, high=high)})
    return pd.DataFrame(rows, columns=["pool", "metric", "unit_type", "score", "n", "mean",
                                       "ci_low", "ci_high", "ci_width", "expected",
                                       "tolerance", "scale", "passes"])


def failing_checks(table: pd.DataFrame, metric: str,
                   relation: str | None = None) -> dict[tuple[str, str], list[str]]:
    """(pool, score) -> the unit types whose check the score fails under ``metric``; with
    ``relation``, only its checks of that kind: ``=`` (a bias: the score finds what is
    not there) or ``>`` (a blind spot: it misses what is there). The candidate shadows'
    ``ii_excess[<name>]`` are left out: no verdict reads them."""
    t = table[(table.metric == metric) & ~table.passes.astype(bool)
              & ~table.score.str.contains("[", regex=False)]
    if relation is not None:
        t = t[t.expected.str.startswith(relation)]
    return {key: list(g.unit_type) for key, g in t.groupby(["pool", "score"])}
