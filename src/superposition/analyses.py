"""The paper's further analyses, as pure functions of responses and II scores, and
their registry: a name in the config's ``analyses`` section selects one.

Each takes arrays (and an II function where images must be scored) and returns a
table; the workflow loads what they read (:class:`Layer`), writes the tables and draws
one figure each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .directions import unit_rows
from .registry import Registry

log = logging.getLogger("superposition")

# II of every column of an (images x k) response matrix
ScoreFn = Callable[[np.ndarray], np.ndarray]


def lifetime_sparseness(responses: np.ndarray) -> np.ndarray:
    """Vinje & Gallant lifetime sparseness per column, in [0, 1] (1 = fires for one image).

    Responses are shifted so each column's minimum is 0 (activations may be negative).
    """
    r = responses - responses.min(axis=0, keepdims=True)
    n = len(r)
    power = (r ** 2).mean(0)
    a = np.divide(r.mean(0) ** 2, power, out=np.ones_like(power), where=power > 0)  # flat: 0
    return (1 - a) / (1 - 1 / n)


def sample_pairs(n: int, n_pairs: int, seed: int) -> np.ndarray:
    """Distinct unordered pairs of indices in [0, n), at most all of them."""
    rng = np.random.default_rng(seed)
    all_pairs = np.array([(i, j) for i in range(n) for j in range(i + 1, n)])
    if len(all_pairs) <= n_pairs:
        return all_pairs
    return all_pairs[np.sort(rng.choice(len(all_pairs), n_pairs, replace=False))]


def synergy(x: np.ndarray, unit_ii: np.ndarray, *, score: ScoreFn, n_pairs: int,
            seed: int) -> pd.DataFrame:
    """II of the sum of two standardised neurons vs the better of the two.

    synergy = II((z_i + z_j)/sqrt 2) - max(II_i, II_j); positive for pairs whose
    combination is more interpretable than either constituent (feature synergy).
    """
    z = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1)
    pairs = sample_pairs(x.shape[1], n_pairs, seed)
    combined = (z[:, pairs[:, 0]] + z[:, pairs[:, 1]]) / np.sqrt(2)
    ii_pair = score(combined)
    best = np.maximum(unit_ii[pairs[:, 0]], unit_ii[pairs[:, 1]])
    return pd.DataFrame({"i": pairs[:, 0], "j": pairs[:, 1], "ii_i": unit_ii[pairs[:, 0]],
                         "ii_j": unit_ii[pairs[:, 1]], "ii_pair": ii_pair,
                         "synergy": ii_pair - best})


def interpolation(x: np.ndarray, directions: np.ndarray, *, score: ScoreFn, n_pairs: int,
                  alphas: list[float], seed: int) -> pd.DataFrame:
    """II along straight paths between pairs of directions (projection responses)."""
    pairs = sample_pairs(len(directions), n_pairs, seed)
    rows = []
    for alpha in alphas:
        mix = unit_rows((1 - alpha) * directions[pairs[:, 0]] + alpha * directions[pairs[:, 1]])
        ii = score(x @ mix.T)
        rows += [{"pair": p, "i": i, "j": j, "alpha": alpha, "ii": v}
                 for p, ((i, j), v) in enumerate(zip(pairs, ii))]
    return pd.DataFrame(rows)


def split_halves(x: np.ndarray, unit_ii: np.ndarray, *, score: ScoreFn, seed: int,
                 n_init: int = 10) -> pd.DataFrame:
    """Re-cluster the most and the least interpretable halves of the neurons separately.

    K-means (K = half size, unit-normalised data, projection responses) on each
    half's activations; II of that half's neurons and of its directions.
    """
    from .directions import find_directions

    order = np.argsort(-unit_ii)
    half = len(order) // 2
    rows = []
    for name, units in (("most interpretable half", order[:half]),
                        ("least interpretable half", order[-half:])):
        sub = x[:, units]
        km = find_directions(sub, "kmeans", n_components=len(units), seed=seed, n_init=n_init,
                             response="projection")
        for basis, resp in (("neurons", sub), ("kmeans", km.responses)):
            rows += [{"half": name, "basis": basis, "ii": v} for v in score(resp)]
    return pd.DataFrame(rows)


def top_k_purity(top_k: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Share of each top-k set that carries the set's most common label."""
    out = np.empty(len(top_k))
    for u, idx in enumerate(top_k):
        _, counts = np.unique(labels[idx], return_counts=True)
        out[u] = counts.max() / len(idx)
    return out


def chance_purity(labels: np.ndarray, k: int, *, n_sets: int = 2000, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    sets = np.stack([rng.choice(len(labels), k, replace=False) for _ in range(n_sets)])
    return float(top_k_purity(sets, labels).mean())


def power_law_spectrum(x: np.ndarray, lo: float = 0.05, hi: float = 0.5) -> dict:
    """Eigenvalues of the covariance of x and the power-law exponent alpha
    (lambda_n ~ n^-alpha) fitted on ranks lo..hi of N (Stringer et al. 2019)."""
    eig = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False)))[::-1]
    eig = np.clip(eig, 1e-12, None)
    n = len(eig)
    ranks = np.arange(1, n + 1)
    sel = slice(max(0, int(lo * n)), max(int(hi * n), int(lo * n) + 2))
    slope, intercept = np.polyfit(np.log(ranks[sel]), np.log(eig[sel]), 1)
    return {"eigenvalues": eig, "alpha": float(-slope), "intercept": float(intercept),
            "fit_ranks": [int(ranks[sel][0]), int(ranks[sel][-1])]}


def semantics(scores: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Purity of the top-k images' labels and factors, per unit or direction, with
    chance: ``scores``, one metric's score rows (their ``top_k``); ``labels``, the pool's
    categorical attributes to check, one column each (``label``, ``factor_<name>``)."""
    top = np.array([list(map(int, t.split())) for t in scores.top_k])
    frames = []
    for c in labels:
        values = labels[c].to_numpy()
        frames.append(pd.DataFrame({
            "method": scores.method.values, "direction": scores.direction.values,
            "ii": scores.ii_pairs.values, "attribute": c.removeprefix("factor_"),
            "purity": top_k_purity(top, values), "chance": chance_purity(values, top.shape[1])}))
    empty = pd.DataFrame(columns=["method", "direction", "ii", "attribute", "purity",
                                  "chance"])
    return pd.concat(frames) if frames else empty


@dataclass(frozen=True)
class Layer:
    """What the further analyses of one layer read, loaded: the responses (images x
    units), the II of any response columns, each neuron's II, the seed; and where an
    analysis reads them (its registry facts), the layer's K-means directions, its score
    rows under the metric and the pool's attributes to check."""

    x: np.ndarray
    score: ScoreFn | None
    neuron_ii: np.ndarray | None
    seed: int
    kmeans: np.ndarray | None = None
    scores: pd.DataFrame | None = None
    labels: pd.DataFrame | None = None


# Facts: scores_images, the analysis scores new response columns (it needs the II
# scorer); reads, the direction sets it reads (neurons: their score table; kmeans: the
# directions); labels, it reads the score rows and the pool's labels and factors.
ANALYSES: Registry = Registry("analysis")


@ANALYSES.register("synergy", scores_images=True, reads=("neurons",))
def _synergy(layer: Layer, n_pairs: int) -> pd.DataFrame:
    table = synergy(layer.x, layer.neuron_ii, score=layer.score, n_pairs=n_pairs, seed=layer.seed)
    log.info("synergy > 0 for %d of %d pairs", (table.synergy > 0).sum(), len(table))
    return table


@ANALYSES.register("interpolation", scores_images=True, reads=("kmeans",))
def _interpolation(layer: Layer, n_pairs: int, alphas: list[float]) -> pd.DataFrame:
    return interpolation(layer.x, layer.kmeans, score=layer.score, n_pairs=n_pairs, alphas=alphas,
                         seed=layer.seed)


@ANALYSES.register("split", scores_images=True, reads=("neurons",))
def _split(layer: Layer) -> pd.DataFrame:
    return split_halves(layer.x, layer.neuron_ii, score=layer.score, seed=layer.seed)


@ANALYSES.register("semantics", labels=True)
def _semantics(layer: Layer) -> pd.DataFrame:
    return semantics(layer.scores, layer.labels)


@ANALYSES.register("spectrum")
def _spectrum(layer: Layer, lo: float, hi: float) -> pd.DataFrame:
    fit = power_law_spectrum(layer.x.astype(np.float64), lo, hi)
    eig = fit.pop("eigenvalues")
    log.info("power-law exponent alpha = %.3f", fit["alpha"])
    return pd.DataFrame({"rank": np.arange(1, len(eig) + 1), "eigenvalue": eig,
                         "alpha": fit["alpha"], "intercept": fit["intercept"],
                         "fit_first": fit["fit_ranks"][0], "fit_last": fit["fit_ranks"][1]})
