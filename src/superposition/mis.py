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
- quantile = 0.25: the MIS authors' reimplementation (klindtlab/MachInterp);
- alpha ``fitted``: the metric's own fitted alpha where it has one (the IMI fit of
  this run's IMI branch, ``results/imi/mis_alpha.csv``, else the registry's: 0.16 for
  DreamSim, fitted by the MIS authors on the IMI human data), else ``null``: hard
  2-AFC accuracy, P(correct) = 1 if delta > 0, 1/2 if delta = 0, else 0 (the
  reimplementation's documented ``alpha=None``). An alpha fitted for one metric
  squashes another's MIS towards 1/2, so no metric borrows another's.

Where the pool has groups and scores take one image per group, the K + 1 images of
a side come from K + 1 distinct groups, as the II's top-k sets do, and neither query
shares a group with the other side's explanations: a query that is a crop of an
explanation's photograph would be matched by the crop, not by a concept.

Ties (sparse units): a response that the other side also holds says nothing about
the unit. The max side keeps only images above every min-side response, and the
min side only images below every max-side response, where K + 1 are left; so a
unit that is zero on most images is asked about its non-zero support.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from .metrics import METRICS, Metric

log = logging.getLogger("superposition")

# torch and the II engine are imported where used: the workflow reads DEFAULTS while
# it builds the DAG, which should not wait for torch to load.
DEFAULTS = {"n_references": 9, "n_tasks": 20, "quantile": 0.25, "alpha": "fitted"}


def resolve_alpha(alpha, metric: str, fitted: dict | None = None) -> float | None:
    """The sigmoid scale a metric's MIS uses: a number as given; ``None``: hard
    accuracy; ``"fitted"``: ``fitted[metric]`` (e.g. from IMI), else the metric's
    registered ``mis_alpha``, else None."""
    if alpha != "fitted":
        return alpha
    if fitted and fitted.get(metric) is not None:
        return float(fitted[metric])
    return METRICS.fact(metric, "mis_alpha") if metric in METRICS else None


def _sides(r: np.ndarray, side: int, *, width: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Each side's candidates, most extreme first, with ties across the sides removed
    (see the module docstring)."""
    order = np.lexsort((rng.random(len(r)), -r))  # max first, ties random
    top, bottom = order[:side], order[::-1][:side]
    kept_top, kept_bottom = top[r[top] > r[bottom].max()], bottom[r[bottom] < r[top].min()]
    return (kept_top if len(kept_top) >= width else top,
            kept_bottom if len(kept_bottom) >= width else bottom)


def _draw(candidates: np.ndarray, width: int, *, n_tasks: int, rng) -> np.ndarray:
    """(tasks x width) positions into ``candidates``, in rank order."""
    return np.sort(np.stack([rng.choice(len(candidates), width, replace=False)
                             for _ in range(n_tasks)]), axis=1)


def design_tasks(responses: np.ndarray, n_references: int, *, n_tasks: int, quantile: float,
                 seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """(units x tasks x 2(K+1)) image indices of every unit's MIS tasks.

    A task's row holds the K max-side explanations (most activating first), the
    max-side query, the K min-side explanations (least activating first) and the
    min-side query. Ties in the responses are broken at random; ``groups``: see the
    module docstring.
    """
    n_img, n_units = responses.shape
    side = math.ceil(quantile * n_img)
    if side < n_references + 1:
        raise ValueError(f"MIS needs {n_references + 1} images in each side's quantile "
                         f"{quantile} of the pool, which has {n_img} images ({side} per side): "
                         f"raise scoring.mis.quantile or use a larger pool")
    rng = np.random.default_rng(seed)
    width = n_references + 1
    if groups is not None:  # group names (a photograph's file) as integer codes
        groups = np.unique(groups, return_inverse=True)[1].reshape(-1)
    out = np.empty((n_units, n_tasks, 2 * width), np.int64)
    shared = 0
    for u in range(n_units):
        sides = _sides(responses[:, u], side, width=width, rng=rng)
        if groups is None:
            for s, extreme in enumerate(sides):
                out[u, :,
                    s * width:(s + 1) * width] = extreme[_draw(extreme, width, n_tasks=n_tasks,
                                                                     rng=rng)]
            continue
        out[u], unclean = _grouped_tasks(sides, width, n_tasks=n_tasks, groups=groups, rng=rng)
        shared += unclean
    if shared:
        log.warning("MIS: %d tasks could not keep every query's group apart from the "
                    "explanations' groups (too few groups in a side)", shared)
    return out


def _grouped_tasks(sides, width: int, *, n_tasks: int, groups: np.ndarray, rng,
                   tries: int = 100) -> tuple[np.ndarray, int]:
    """``n_tasks`` rows whose sides each hold distinct groups and whose queries share no
    group with either side's explanations, so a query cannot be matched by another crop
    of its photograph; and how many rows could not keep that (after ``tries`` draws a
    task on average, the first such draws fill in). Draws are made in blocks, all at
    once, and the first clean ones kept: each kept row is uniform over the clean rows,
    as one draw after another until one is clean would give it."""
    from .interpretability import group_members

    block = 4 * n_tasks
    members = [group_members(groups[extreme]) for extreme in sides]
    clean_rows, unclean_rows = [], []
    found = 0
    for _ in range(math.ceil(tries / 4)):
        rows = np.concatenate([_side_draws(extreme, side_members, width=width, n=block, rng=rng)
                               for extreme, side_members in zip(sides, members)], axis=1)
        clean = _clean(groups[rows], width)
        clean_rows.append(rows[clean])
        unclean_rows.append(rows[~clean])
        found += clean.sum()
        if found >= n_tasks:
            break
    rows = np.concatenate(clean_rows + unclean_rows)[:n_tasks]
    return rows, max(0, n_tasks - found)


def _side_draws(extreme: np.ndarray, members: list, *, width: int, n: int, rng) -> np.ndarray:
    """``n`` draws of ``width`` of a side's candidates (``extreme``; ``members``: each
    group's positions in it), in rank order, each from distinct groups; where the side
    holds fewer groups, one of each and the rest from its other candidates."""
    sizes = np.array([len(m) for m in members])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = np.concatenate(members)
    chosen = np.argsort(rng.random((n, len(members))), axis=1)[:, :width]  # distinct groups
    picks = flat[starts[chosen] + (rng.random(chosen.shape) * sizes[chosen]).astype(np.int64)]
    if picks.shape[1] < width:  # too few groups: the rest from the other candidates
        keys = rng.random((n, len(extreme)))
        np.put_along_axis(keys, picks, 2.0, axis=1)
        rest = width - picks.shape[1]
        picks = np.concatenate([picks, np.argpartition(keys, rest, axis=1)[:, :rest]], axis=1)
    return extreme[np.sort(picks, axis=1)]


def _clean(g: np.ndarray, width: int) -> np.ndarray:
    """Rows of task groups (max side, then min side) with distinct groups on each side
    and neither query's group among the other side's explanations'."""
    g_max, g_min = g[:, :width], g[:, width:]
    distinct = [(np.diff(np.sort(side, axis=1), axis=1) != 0).all(1) for side in (g_max, g_min)]
    return (distinct[0] & distinct[1] & ~(g_max[:, -1:] == g_min[:, :-1]).any(1)
            & ~(g_min[:, -1:] == g_max[:, :-1]).any(1))


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


def p_correct(delta, alpha: float | None):
    """The MIS observer's probability of a correct answer: sigmoid(alpha * delta), or
    with ``alpha`` None the hard 2-AFC answer (1/2 on a tie)."""
    import torch

    if not isinstance(delta, torch.Tensor):
        delta = torch.tensor(np.asarray(delta, dtype=np.float64))
    delta = delta.double()
    if alpha is None:
        return (delta > 0).double() + 0.5 * (delta == 0).double()
    return torch.sigmoid(alpha * delta)


def unit_mis(local_tasks: np.ndarray, embeddings, *, metric: Metric,
             alpha: float | None) -> np.ndarray:
    """MIS of each unit from its (units x tasks x 2(K+1)) rows of indices into
    ``embeddings`` (a torch tensor)."""
    from .interpretability import set_distances

    units, tasks, width = local_tasks.shape
    d = set_distances(local_tasks.reshape(units * tasks, width), embeddings, metric=metric)
    return p_correct(task_evidence(d), alpha).reshape(units, tasks).mean(1).cpu().numpy()

