"""Ground-truth recovery: how well found directions match planted ones, beside what as
many random directions score (the chance level); and, by the same measure, how well a
method's directions match its own second fit with another seed (its stability)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from .directions import unit_rows


def recovery_scores(found: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Match found directions (K x d) to true ones (F x d) by cosine similarity.

    ``best_cosine``: mean over true directions of the best cosine among the found
    ones; ``matched_cosine``: mean cosine under a one-to-one assignment
    (Hungarian); ``recovered``: share of true directions with best cosine > 0.9.
    """
    cos = unit_rows(truth) @ unit_rows(found).T  # F x K
    best = cos.max(axis=1)
    rows, cols = linear_sum_assignment(-cos)
    return {"best_cosine": float(best.mean()),
            "matched_cosine": float(cos[rows, cols].sum() / len(truth)),
            "recovered": float((best > 0.9).mean()),
            "n_true": int(len(truth)), "n_found": int(len(found))}


N_CHANCE_DRAWS = 200


def chance_scores(truth: np.ndarray, k: int, *, n_draws: int = N_CHANCE_DRAWS,
                  seed: int = 0) -> dict[str, float]:
    """The chance level of ``recovery_scores``: the mean best and matched cosine of K
    random unit directions in the same space against the same true directions (F x d),
    over ``n_draws`` seeded draws. It grows with K: more directions, better best matches."""
    rng = np.random.default_rng(seed)
    t = unit_rows(truth)
    best, matched = [], []
    for _ in range(n_draws):
        cos = t @ unit_rows(rng.normal(size=(k, t.shape[1]))).T
        best.append(cos.max(axis=1).mean())
        rows, cols = linear_sum_assignment(-cos)
        matched.append(cos[rows, cols].sum() / len(t))
    return {"chance": float(np.mean(best)), "matched_chance": float(np.mean(matched))}


def above_chance(score: float, chance: float) -> float:
    """A cosine score rescaled so that chance is 0 and a perfect match 1."""
    return float((score - chance) / (1 - chance))


def recovery_with_chance(found: np.ndarray, truth: np.ndarray, *, seed: int = 0,
                         n_draws: int = N_CHANCE_DRAWS) -> dict:
    """``recovery_scores`` with the chance level of a set of the same K, and both cosines
    corrected for it (``best_above_chance``, ``matched_above_chance``)."""
    scores = recovery_scores(found,
                             truth) | chance_scores(truth, len(found), n_draws=n_draws, seed=seed)
    return scores | {
        "best_above_chance": above_chance(scores["best_cosine"], scores["chance"]),
        "matched_above_chance": above_chance(scores["matched_cosine"],
                                             scores["matched_chance"])}


STABILITY_DRAWS = 20  # random sets for a stability's chance level (its SD is about 0.002)


def seed_stability(first: np.ndarray, second: np.ndarray) -> dict[str, float]:
    """How far a fitted set's directions (K x d) hold when the method is fitted again
    with another seed: ``stability``, the mean over the first fit's directions of their
    best cosine among the second fit's; ``stability_chance``, the same for as many
    random unit directions; ``stability_above_chance``, rescaled so that chance is 0 and
    the same directions 1."""
    scores = recovery_with_chance(second, first, n_draws=STABILITY_DRAWS)
    return {"stability": scores["best_cosine"], "stability_chance": scores["chance"],
            "stability_above_chance": scores["best_above_chance"]}
