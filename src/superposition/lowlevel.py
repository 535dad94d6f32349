"""The bland-image control: low-level statistics of images, and random image sets
whose statistics match a unit's top-k set.

Uniform sky or grey crops look alike to any perceptual metric, so a direction whose
top images are bland earns a high II without a visual concept. The II of random
sets with the same low-level statistics says how much of a set's II those
statistics alone explain; ``ii_excess`` = II - that matched baseline is the rest.

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
MATCHED_DEFAULTS = {"n_sets": 10, "n_neighbours": 25}  # matched sets per unit, neighbours each


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


def matched_sets(top: np.ndarray, stats: np.ndarray, n_sets: int, n_neighbours: int,
                 seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """(units x n_sets x k) random image sets matched to each unit's top-k set.

    Each image of a top-k set is replaced by one drawn at random from its
    ``n_neighbours`` nearest images in (standardised) statistic space, never the
    image itself or another image of the set, and with no image, or group where
    ``groups`` are given, twice in one set: a matched set has the same low-level
    statistics as the top-k set, image by image, but no shared visual concept.
    """
    from sklearn.neighbors import NearestNeighbors

    z = standardise(stats)
    units, k = top.shape
    wanted = n_neighbours + k + 1
    if len(z) < wanted:
        raise ValueError(f"the matched baseline needs at least {wanted} images "
                         f"(n_neighbours {n_neighbours} + k {k} + 1), the pool has {len(z)}: "
                         f"lower scoring.matched_baseline.n_neighbours or use a larger pool")
    unique = np.unique(top)
    _, near = NearestNeighbors(n_neighbors=wanted).fit(z).kneighbors(z[unique])
    neighbours = dict(zip(unique.tolist(), near))
    rng = np.random.default_rng(seed)
    out = np.empty((units, n_sets, k), np.int64)
    for u in range(units):
        own = set(top[u].tolist())
        candidates = [[c for c in neighbours[i] if c not in own][:n_neighbours]
                      for i in top[u].tolist()]
        for s in range(n_sets):
            used, used_groups = set(), set()
            for j, pool in enumerate(candidates):
                order = rng.permutation(len(pool))
                pick = next((pool[o] for o in order if pool[o] not in used
                             and (groups is None or groups[pool[o]] not in used_groups)),
                            pool[order[0]])
                used.add(pick)
                if groups is not None:
                    used_groups.add(groups[pick])
                out[u, s, j] = pick
    return out
