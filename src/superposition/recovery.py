"""Ground-truth recovery: how well found directions match planted ones."""

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
