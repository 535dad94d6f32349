"""The Machine Interpretability Score (MIS; Zimmermann, Klindt & Brendel, NeurIPS 2024).

MIS automates the IMI 2-AFC task. Per unit, each of N tasks draws K + 1 images at
random from the unit's most activating ``quantile`` of the pool and K + 1 from its
least activating; on each side the K most extreme are the explanations (E+, E-)
and the remaining one, the least extreme, is the query (q+, q-). With
s = - distance, mean-aggregated over a set of explanations,

    delta = [s(q+, E+) - s(q+, E-)] - [s(q-, E+) - s(q-, E-)]

is the evidence that the observer pairs the queries right, P(correct) =
sigmoid(alpha * delta), and MIS is its mean over the N tasks: in [0, 1], 0.5 when
the max and min sides cannot be told apart.

Defaults and where they come from (recorded in every output):
- K = 9 explanations per side, as in IMI and the MIS paper;
- N = 20 tasks per unit;
- quantile = 0.25 and alpha = 0.16: the values of the MIS authors' reimplementation
  (klindtlab/MachInterp). alpha was fitted on the IMI human data for DreamSim; the
  paper's full text could not be read here to confirm either value.
"""

from __future__ import annotations

import math

import numpy as np

from .metrics import Metric

# torch and the II engine are imported where used: the workflow reads DEFAULTS while
# it builds the DAG, which should not wait for torch to load.
DEFAULTS = {"n_references": 9, "n_tasks": 20, "quantile": 0.25, "alpha": 0.16}


def design_tasks(responses: np.ndarray, n_references: int, n_tasks: int, quantile: float,
                 seed: int) -> np.ndarray:
    """(units x tasks x 2(K+1)) image indices of every unit's MIS tasks.

    A task's row holds the K max-side explanations (most activating first), the
    max-side query, the K min-side explanations (least activating first) and the
    min-side query. Ties in the responses are broken at random.
    """
    n_img, n_units = responses.shape
    side = math.ceil(quantile * n_img)
    if side < n_references + 1:
        raise ValueError(f"MIS needs {n_references + 1} images in each side's quantile "
                         f"{quantile} of the pool, which has {n_img} images ({side} per side): "
                         f"raise scoring.mis.quantile or use a larger pool")
    rng = np.random.default_rng(seed)
    width = n_references + 1
    out = np.empty((n_units, n_tasks, 2 * width), np.int64)
    for u in range(n_units):
        order = np.lexsort((rng.random(n_img), -responses[:, u]))  # max first, ties random
        for s, extreme in enumerate((order[:side], order[::-1][:side])):
            ranks = np.sort(np.stack([rng.choice(side, width, replace=False)
                                      for _ in range(n_tasks)]), axis=1)
            out[u, :, s * width:(s + 1) * width] = extreme[ranks]
    return out


def task_evidence(distances):
    """delta of each task from its (tasks x 2(K+1) x 2(K+1)) distance matrix, laid out
    as :func:`design_tasks` rows."""
    width = distances.shape[-1] // 2
    k = width - 1
    s = -distances.double()
    e_max, q_max = slice(0, k), k
    e_min, q_min = slice(width, width + k), 2 * width - 1
    return ((s[:, q_max, e_max].mean(-1) - s[:, q_max, e_min].mean(-1))
            - (s[:, q_min, e_max].mean(-1) - s[:, q_min, e_min].mean(-1)))


def p_correct(delta, alpha: float):
    """The MIS observer's probability of a correct answer."""
    import torch

    if not isinstance(delta, torch.Tensor):
        delta = torch.tensor(np.asarray(delta, dtype=np.float64))
    return torch.sigmoid(alpha * delta.double())


def unit_mis(local_tasks: np.ndarray, embeddings, metric: Metric, alpha: float) -> np.ndarray:
    """MIS of each unit from its (units x tasks x 2(K+1)) rows of indices into
    ``embeddings`` (a torch tensor)."""
    from .interpretability import set_distances

    units, tasks, width = local_tasks.shape
    d = set_distances(local_tasks.reshape(units * tasks, width), embeddings, metric)
    return p_correct(task_evidence(d), alpha).reshape(units, tasks).mean(1).cpu().numpy()

