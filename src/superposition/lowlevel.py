"""The bland-image control: low-level statistics of images, and random image sets
whose statistics match a unit's top-k set.

Uniform sky or grey crops look alike to any perceptual metric, so a direction whose
top images are bland earns a high II without a visual concept. ``ii_excess`` = II -
``ii_lowlevel`` says how much of a unit's II its image statistics do not explain.

``ii_lowlevel`` is the II of the unit's low-level shadow: the responses the four
statistics predict. Per unit, the normal scores of its responses (the ranks, which
are all a top-k set depends on) are regressed on a degree-2 polynomial of the
statistics' normal scores (so any monotone function of one statistic is fitted
exactly); each of ``n_sets`` shadow units is that prediction plus
Gaussian noise with the residual's variance, and its top-k set is taken as the
unit's is (one image per group where the scores take one). A unit the statistics
fully explain (R^2 = 1) gets its own top-k set back, so ``ii_excess`` = 0; a unit they
do not explain at all gets random sets, and ``ii_excess`` = II - chance.

Why not images matched one by one in statistic space (the earlier design)? A
top-k set is the pool's most extreme in whatever the unit prefers; excluding its own
images (and its photographs) leaves only less extreme neighbours, so a unit tuned to
blandness alone earned a positive ``ii_excess`` (+0.9 on the demo's photos, against
-0.01 here; see the calibration table). The shadow may pick crops of the top set's
photographs: where the statistics predict them, that is what the statistics explain.
The share of shadow images from the top set's groups is recorded.

Statistics, per image, on [0, 1] RGB (stated in every output that uses them):
- ``luminance``: mean Rec. 601 luma;
- ``rms_contrast``: standard deviation of the luma over pixels;
- ``colourfulness``: Hasler & Suesstrunk (2003), from the opponent channels
  R - G and (R + G) / 2 - B;
- ``high_frequency``: root mean square of the luma's finite-difference gradient,
  the energy of the highest spatial frequencies.
"""

from __future__ import annotations

import numpy as np

STATISTICS = ("luminance", "rms_contrast", "colourfulness", "high_frequency")
BASELINE_DEFAULTS = {"n_sets": 10, "degree": 2}  # shadow units per unit, polynomial degree


def image_statistics(images: np.ndarray) -> np.ndarray:
    """(images x 4) low-level statistics of uint8 N x H x W x 3 images."""
    x = np.asarray(images, np.float32) / 255
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    rg, yb = r - g, 0.5 * (r + g) - b
    colourful = (np.sqrt(rg.var((1, 2)) + yb.var((1, 2)))
                 + 0.3 * np.sqrt(rg.mean((1, 2)) ** 2 + yb.mean((1, 2)) ** 2))
    dy, dx = np.diff(luma, axis=1), np.diff(luma, axis=2)
    high = np.sqrt((dy ** 2).mean((1, 2)) + (dx ** 2).mean((1, 2)))
    return np.stack([luma.mean((1, 2)), luma.std((1, 2)), colourful, high], 1)


def standardise(stats: np.ndarray) -> np.ndarray:
    """Each statistic on a common scale: minus the median, over the interquartile range."""
    q1, med, q3 = np.percentile(stats, [25, 50, 75], axis=0)
    return (stats - med) / np.where(q3 - q1 > 0, q3 - q1, 1)


def polynomial(z: np.ndarray, degree: int) -> np.ndarray:
    """(images x F) the constant, each statistic and, for degree 2, their products."""
    cols = [np.ones(len(z))] + [z[:, i] for i in range(z.shape[1])]
    if degree >= 2:
        cols += [z[:, i] * z[:, j] for i in range(z.shape[1]) for j in range(i, z.shape[1])]
    return np.stack(cols, 1)


def n_coefficients(degree: int) -> int:
    """How many coefficients the shadow's regression fits per unit."""
    n = len(STATISTICS)
    return 1 + n + (n * (n + 1) // 2 if degree >= 2 else 0)


def normal_scores(responses: np.ndarray) -> np.ndarray:
    """Each column's ranks as standard normal quantiles (ties share their mean rank)."""
    from scipy.stats import norm, rankdata

    return norm.ppf((rankdata(responses, axis=0) - 0.5) / len(responses))


def shadow_sets(responses: np.ndarray, stats: np.ndarray, k: int, n_sets: int, degree: int,
                seed: int, groups: np.ndarray | None = None,
                chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(units x n_sets x k) top-k sets of each unit's low-level shadows (see the module
    docstring), and each unit's R^2: the share of its normal scores' variance that
    the statistics explain."""
    from .interpretability import top_k

    x = polynomial(normal_scores(stats), degree)
    if len(x) <= x.shape[1] + k:
        raise ValueError(f"the low-level baseline fits {x.shape[1]} coefficients per unit and "
                         f"needs more than {x.shape[1] + k} images, the pool has {len(x)}: "
                         f"lower scoring.lowlevel_baseline.degree or use a larger pool")
    rng = np.random.default_rng(seed)
    units = responses.shape[1]
    out = np.empty((units, n_sets, k), np.int64)
    r2 = np.empty(units)
    for start in range(0, units, chunk):
        y = normal_scores(responses[:, start:start + chunk])
        fitted = x @ np.linalg.lstsq(x, y, rcond=None)[0]
        sd = (y - fitted).std(0)
        r2[start:start + y.shape[1]] = 1 - sd ** 2 / y.var(0).clip(1e-12)
        for s in range(n_sets):
            shadow = fitted + sd * rng.standard_normal(fitted.shape)
            out[start:start + y.shape[1], s] = top_k(shadow, k, groups=groups)
    return out, r2.clip(0, 1)


def shared_groups(top: np.ndarray, sets: np.ndarray, groups: np.ndarray | None) -> float:
    """The share of the shadow sets' images whose group is one of their top set's."""
    if groups is None:
        return 0.0
    g_top, g_sets = groups[top], groups[sets]
    return float(np.mean([np.isin(g_sets[u], g_top[u]).mean() for u in range(len(top))]))


# A "flat crop" set: a direction whose responses the four statistics explain this well
# (R^2 of its low-level shadow) has top images that look alike for their statistics
FLAT_R2 = 0.5
FLAT_TOP = 10  # the top sets by II that a grid of top images opens on


def flat_shares(scores, threshold: float = FLAT_R2, n_top: int = FLAT_TOP):
    """Per source, layer and direction set (one metric's score table): the share of its
    ``n_top`` highest-II directions, and of all its directions, whose low-level R^2 is
    above ``threshold``."""
    import pandas as pd

    rows = []
    for (source, layer, method), t in scores.groupby(["source", "layer", "method"],
                                                     sort=False):
        flat = t.lowlevel_r2 > threshold
        top = flat[t.ii_pairs.rank(ascending=False, method="first") <= n_top]
        rows.append({"source": source, "layer": layer, "method": method, "n": len(t),
                     "n_top": len(top), "flat_top": float(top.mean()),
                     "flat_all": float(flat.mean())})
    return pd.DataFrame(rows)
