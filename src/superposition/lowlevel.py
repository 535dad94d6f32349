"""The bland-image control: low-level statistics of images, and each unit's low-level
shadow, whose top-k sets say how alike its top images would look for their
statistics alone.

Uniform sky or grey crops look alike to any perceptual metric, so a direction whose
top images are bland earns a high II without a visual concept. ``ii_excess`` = II -
``ii_lowlevel`` says how much of a unit's II its image statistics do not explain.

``ii_lowlevel`` is the mean II of the top-k sets of ``n_sets`` shadow units. A
unit's shadow is what a basis of image features predicts of its responses, plus the
unit's own residuals permuted over the images:

- The responses, robustly standardised, are regressed on the basis's normal scores
  (a degree-2 polynomial, and with ``hinges`` each feature's hinges at -1, 0 and
  +1, so a monotone function of one feature is fitted closely). Each image's
  prediction comes from a fit to the other ``folds`` (cross-fitting), so a wide
  basis cannot fit a unit's own noise and hand back its top images.
- The residuals are permuted, not drawn Gaussian: they keep the unit's own tails. A
  unit whose low-level drive carries heavy-tailed noise (Student-t, rare spikes) has a
  top set chosen by its noise; a Gaussian residual with the same variance lets the
  drive choose the shadow's top set instead (bland, alike images), and such a unit
  scored -0.5 to -3.6 SDs of chance below 0 (the calibration's ``heavy_lowlevel`` and
  ``spiky_lowlevel`` types; about 0 now).
- Space ``raw`` regresses the responses themselves, so the noise is additive where
  the unit's is; ``ranks`` (the first design) regressed their normal scores, which
  squash a heavy tail into a Gaussian one.

A unit the basis fully explains gets its own top-k set back (``ii_excess`` = 0); a
unit it does not explain at all gets random sets (``ii_excess`` = II - chance). What
the control cannot remove: low-level structure the basis does not span. Units built
from statistics it has not seen (:mod:`.probes`) keep a positive ``ii_excess``, since
an imperfect prediction reaches less far into the tail that the unit's top set
comes from (see docs/science.md and the calibration table).

The shadow may pick crops of the top set's photographs: where the statistics predict
them, that is what the statistics explain. The share of shadow images from the top
set's groups is recorded.

Bases (``basis``), per image, on [0, 1] RGB (stated in every output that uses them):
- ``statistics``, the four statistics:
  - ``luminance``: mean Rec. 601 luma;
  - ``rms_contrast``: standard deviation of the luma over pixels;
  - ``colourfulness``: Hasler & Suesstrunk (2003), from the opponent channels
    R - G and (R + G) / 2 - B;
  - ``high_frequency``: root mean square of the luma's finite-difference gradient,
    the energy of the highest spatial frequencies.
- ``wide``: the four and 36 more (:func:`basis_features`).
"""

from __future__ import annotations

import numpy as np

STATISTICS = ("luminance", "rms_contrast", "colourfulness", "high_frequency")
# shadow units per unit, polynomial degree, each feature's hinges, the features, the
# residuals, the regression's space, cross-fitting folds (see the module docstring)
BASELINE_DEFAULTS = {"n_sets": 10, "degree": 2, "hinges": True, "basis": "statistics",
                     "residuals": "permuted", "space": "raw", "folds": 5}
RESIDUALS = ("permuted", "gaussian")
SPACES = ("raw", "ranks")
BASES = ("statistics", "wide")
HINGES = (-1.0, 0.0, 1.0)


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


def _pooled(x: np.ndarray, factor: int) -> np.ndarray:
    """(N x H x W) images averaged over ``factor`` x ``factor`` blocks."""
    n, h, w = x.shape
    h, w = h // factor * factor, w // factor * factor
    return x[:, :h, :w].reshape(n, h // factor, factor, w // factor, factor).mean((2, 4))


BASIS_SCALES = (1, 2, 4)  # block averages over which the oriented energy is taken
# the wide basis's columns, in the order of basis_features
WIDE = (STATISTICS + ("rg_mean", "rg_sd", "yb_mean", "yb_sd")
        + tuple(f"luma_p{q}" for q in (5, 25, 50, 75, 95))
        + tuple(f"{c}_q{i}{j}" for c in ("luma", "rg", "yb") for i in (0, 1) for j in (0, 1))
        + tuple(f"energy_{o}_s{f}" for f in BASIS_SCALES
                for o in ("dx", "dy", "diagonal", "antidiagonal"))
        + ("energy_ratio_s1", "energy_ratio_s2", "laplacian"))


def basis_features(images: np.ndarray) -> np.ndarray:
    """(images x 40) the wide basis (columns ``WIDE``): a generic description of what an
    image looks like at low level, of which the four statistics are a part.

    - the four statistics;
    - the mean and SD of the two opponent channels, R - G and (R + G) / 2 - B (4);
    - the 5th, 25th, 50th, 75th and 95th percentiles of the luma (5);
    - the mean of luma, R - G and Y - B in each image quadrant (12);
    - the log mean absolute luma difference along 4 orientations (horizontal,
      vertical, both diagonals) at 3 scales, the luma averaged over 1, 2 and 4 pixel
      blocks (12);
    - the log energy ratio of each scale to the next (2), and the log RMS of the luma's
      second difference (1).
    """
    x = np.asarray(images, np.float32) / 255
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    rg, yb = r - g, 0.5 * (r + g) - b
    cols = [image_statistics(images)]
    cols += [np.stack([c.mean((1, 2)), c.std((1, 2))], 1) for c in (rg, yb)]
    cols.append(np.percentile(luma.reshape(len(x), -1), [5, 25, 50, 75, 95], axis=1).T)
    h, w = luma.shape[1] // 2, luma.shape[2] // 2
    cols.append(np.stack([c[:, i:i + h, j:j + w].mean((1, 2)) for c in (luma, rg, yb)
                          for i in (0, h) for j in (0, w)], 1))
    energy = []
    for factor in BASIS_SCALES:
        p = _pooled(luma, factor)
        diffs = (p[:, :, 1:] - p[:, :, :-1], p[:, 1:] - p[:, :-1],
                 p[:, 1:, 1:] - p[:, :-1, :-1], p[:, 1:, :-1] - p[:, :-1, 1:])
        energy.append(np.stack([np.abs(d).mean((1, 2)) for d in diffs], 1))
    log_energy = np.log(np.concatenate(energy, 1) + 1e-6)
    cols.append(log_energy)
    scale_sums = [np.log(e.sum(1) + 1e-6) for e in energy]
    cols.append(np.stack([scale_sums[i] - scale_sums[i + 1] for i in range(2)], 1))
    second = luma[:, 2:, 1:-1] + luma[:, :-2, 1:-1] + luma[:, 1:-1, 2:] + luma[:, 1:-1, :-2] \
        - 4 * luma[:, 1:-1, 1:-1]
    cols.append(np.log(np.sqrt((second ** 2).mean((1, 2))) + 1e-6)[:, None])
    return np.concatenate(cols, 1)


def standardise(stats: np.ndarray) -> np.ndarray:
    """Each statistic on a common scale: minus the median, over the interquartile range."""
    q1, med, q3 = np.percentile(stats, [25, 50, 75], axis=0)
    return (stats - med) / np.where(q3 - q1 > 0, q3 - q1, 1)


def regressors(z: np.ndarray, degree: int, hinges: bool) -> np.ndarray:
    """(images x F) the constant, each feature and, for degree 2, their products; with
    ``hinges``, max(0, z - c) of each feature at each of ``HINGES``."""
    cols = [np.ones(len(z))] + [z[:, i] for i in range(z.shape[1])]
    if degree >= 2:
        cols += [z[:, i] * z[:, j] for i in range(z.shape[1]) for j in range(i, z.shape[1])]
    if hinges:
        cols += [np.maximum(z[:, i] - c, 0) for c in HINGES for i in range(z.shape[1])]
    return np.stack(cols, 1)


def basis_columns(basis: str) -> list[str]:
    """The statistics table's columns that a basis reads."""
    if basis not in BASES:
        raise ValueError(f"scoring.lowlevel_baseline.basis is {basis!r}; known: {BASES}")
    return list(STATISTICS) if basis == "statistics" else list(WIDE)


def n_coefficients(degree: int, hinges: bool, basis: str = "statistics") -> int:
    """How many coefficients the shadow's regression fits per unit."""
    n = len(basis_columns(basis))
    return 1 + n + (n * (n + 1) // 2 if degree >= 2 else 0) + (len(HINGES) * n if hinges else 0)


def images_needed(n_coefficients: int, k: int, folds: int) -> int:
    """The fewest images a pool needs for the shadow's fits: each fit (on all folds but
    one) has more images than coefficients + k."""
    fit = n_coefficients + k + 1
    return fit if folds <= 1 else -(-fit * folds // (folds - 1))


def normal_scores(responses: np.ndarray) -> np.ndarray:
    """Each column's ranks as standard normal quantiles (ties share their mean rank)."""
    from scipy.stats import norm, rankdata

    return norm.ppf((rankdata(responses, axis=0) - 0.5) / len(responses))


def _fitted(x: np.ndarray, y: np.ndarray, *, folds: int, rng) -> np.ndarray:
    """Least-squares predictions of ``y``'s columns from ``x``, each image's from a fit
    to the other folds (``folds`` > 1): a wide basis cannot then fit a unit's own noise
    and hand it back its top images."""
    if folds <= 1:
        return x @ np.linalg.lstsq(x, y, rcond=None)[0]
    fold = rng.permutation(len(x)) % folds
    out = np.empty_like(y)
    for f in range(folds):
        test = fold == f
        out[test] = x[test] @ np.linalg.lstsq(x[~test], y[~test], rcond=None)[0]
    return out


def shadow_sets(responses: np.ndarray, features: np.ndarray, k: int, *, n_sets: int,
                degree: int, hinges: bool, residuals: str, space: str, folds: int, seed: int,
                groups: np.ndarray | None = None, chunk: int = 256,
                **_: object) -> tuple[np.ndarray, np.ndarray]:
    """(units x n_sets x k) top-k sets of each unit's low-level shadows (see the module
    docstring), and each unit's R^2: the share of its (standardised or ranked)
    responses' variance that the basis ``features`` explain out of fold."""
    from .interpretability import top_k

    for name, value, known in (("residuals", residuals, RESIDUALS), ("space", space, SPACES)):
        if value not in known:
            raise ValueError(f"scoring.lowlevel_baseline.{name} is {value!r}; known: {known}")
    x = regressors(normal_scores(features), degree, hinges)
    need = images_needed(x.shape[1], k, folds)
    if len(x) < need:
        raise ValueError(f"the low-level baseline fits {x.shape[1]} coefficients per unit, "
                         f"each fit on all folds but one, and needs at least {need} images, "
                         f"the pool has {len(x)}: lower scoring.lowlevel_baseline.degree, "
                         f"turn its hinges off or use a larger pool")
    rng = np.random.default_rng(seed)
    units = responses.shape[1]
    out = np.empty((units, n_sets, k), np.int64)
    r2 = np.empty(units)
    for start in range(0, units, chunk):
        y = responses[:, start:start + chunk]
        y = normal_scores(y) if space == "ranks" else standardise(y)
        fitted = _fitted(x, y, folds=folds, rng=rng)
        resid = y - fitted
        r2[start:start + y.shape[1]] = 1 - resid.var(0) / y.var(0).clip(1e-12)
        for s in range(n_sets):
            if residuals == "gaussian":
                noise = resid.std(0) * rng.standard_normal(fitted.shape)
            else:  # each unit's residuals shuffled over the images, apart
                noise = rng.permuted(resid, axis=0)
            out[start:start + y.shape[1], s] = top_k(fitted + noise, k, groups=groups)
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
    ``n_top`` highest-II directions whose low-level R^2 is above ``threshold``
    (``flat_top``), the same among its top by ``ii_excess`` and by MIS
    (``flat_top_ii_excess``, ``flat_top_mis``), and among all its directions."""
    import pandas as pd

    rows = []
    for (source, layer, method), t in scores.groupby(["source", "layer", "method"],
                                                     sort=False):
        flat = t.lowlevel_r2 > threshold

        def top_share(column):
            return float(flat[t[column].rank(ascending=False, method="first") <= n_top].mean())

        rows.append({"source": source, "layer": layer, "method": method, "n": len(t),
                     "n_top": min(n_top, len(t)), "flat_top": top_share("ii_pairs"),
                     "flat_top_ii_excess": top_share("ii_excess"),
                     "flat_top_mis": top_share("mis"), "flat_all": float(flat.mean())})
    return pd.DataFrame(rows)
