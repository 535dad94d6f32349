"""In-silico 2-AFC psychophysics in the IMI design (Zimmermann et al. 2023).

Per unit: references are its n most and n least activating images; a trial shows
one query from the top side and one from the bottom side, drawn from a band of
activation quantiles (the difficulty: 0 = most extreme). The observer picks the
query that better matches the max references, by perceptual similarity pooled
over references (the paper's Eq. 2-3):

    e0 = pool_k s(ref+_k, q+) + pool_k s(ref-_k, q-)
    e1 = pool_k s(ref+_k, q-) + pool_k s(ref-_k, q+)

with s = -distance; the observer is correct when e0 > e1 (a tie scores 0.5).
The refactored code's soft variant z-scores a trial's similarities, pools by mean
and reads P(correct) = softmax(e0, e1)[0] = sigmoid(e0 - e1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .interpretability import EMBEDDING_BUDGET, embedded_chunks, set_distances
from .metrics import Metric

POOLING = {"max": lambda s: s.max(-1).values, "mean": lambda s: s.mean(-1)}
MAX_SIDE = "max_side"  # evidence from the max-side references only
MIS_DELTA = "mis"  # the MIS observer's delta: mean pooling over every metric layer


def evidence_difference(s_pp, s_pn, s_np, s_nn, pooling: str = "max"):
    """e0 - e1 from query-to-reference similarities (... x references each).

    ``s_pn`` is the max-side query against the min references, ``s_np`` the
    min-side query against the max references.
    """
    pool = POOLING[pooling]
    return pool(s_pp) + pool(s_nn) - pool(s_np) - pool(s_pn)


def softmax_correct(s_pp, s_pn, s_np, s_nn):
    """P(correct) of the z-scored, mean-pooled softmax observer."""
    sims = torch.stack([s_pp, s_pn, s_np, s_nn]).double()  # z-scored per trial
    mean = sims.mean(dim=(0, -1), keepdim=True)
    std = sims.std(dim=(0, -1), keepdim=True).clamp_min(1e-12)
    z = (sims - mean) / std
    return torch.sigmoid(evidence_difference(*z, pooling="mean"))


def design_trials(responses: np.ndarray, n_references: int, *, quantiles: list[float],
                  n_trials: int, band: float, seed: int) -> dict[str, np.ndarray]:
    """Image indices for every unit's references and queries.

    Returns arrays: ``refs_max``, ``refs_min`` (units x n_references) and
    ``q_max``, ``q_min`` (units x quantiles x trials).
    """
    rng = np.random.default_rng(seed)
    n_img, n_units = responses.shape
    pool = n_img - 2 * n_references
    if pool < 2 * n_trials:
        raise ValueError(f"{n_img} images are too few for {n_references} references per side "
                         f"and {n_trials} trials")
    order = np.argsort(-responses, axis=0, kind="stable").T  # units x images, max first
    refs_max, refs_min = order[:, :n_references], order[:, -n_references:]
    middle = order[:, n_references:n_img - n_references]  # queries never repeat a reference
    width = max(1, int(round(band * pool)))
    q_max = np.empty((n_units, len(quantiles), n_trials), np.int64)
    q_min = np.empty_like(q_max)
    for j, q in enumerate(quantiles):
        start = min(int(round(q * pool)), pool // 2 - width)
        start = max(start, 0)
        for u in range(n_units):
            q_max[u, j] = middle[u, start + rng.integers(0, width, n_trials)]
            q_min[u, j] = middle[u, pool - 1 - start - rng.integers(0, width, n_trials)]
    return {"refs_max": refs_max, "refs_min": refs_min, "q_max": q_max, "q_min": q_min}


def run_2afc(design: dict[str, np.ndarray], images, *, metric: Metric, pooling: str = "max",
             cache=None) -> dict[str, np.ndarray]:
    """Evidence difference e0 - e1, correctness and the soft observer's P(correct)
    for every designed trial; ``cache``: the pool's embeddings or
    :class:`~superposition.interpretability.PoolDistances` under ``metric``, read instead
    of embedding the images."""
    all_idx = np.concatenate([a.reshape(len(a), -1) for a in design.values()], axis=1)
    n_ref = design["refs_max"].shape[1]
    shape = design["q_max"].shape
    n_q = shape[1] * shape[2]
    diffs, soft = np.empty(shape), np.empty(shape)
    u = 0
    for emb, local in embedded_chunks(all_idx, images, metric=metric,
                                      cache=cache):  # a row per unit
        distance = _distances(emb, metric)
        for row in map(torch.as_tensor, local):
            r_max, r_min = row[:n_ref], row[n_ref:2 * n_ref]
            qp, qn = row[2 * n_ref:2 * n_ref + n_q], row[2 * n_ref + n_q:]
            sims = tuple(-distance(q, r) for q, r in
                         ((qp, r_max), (qp, r_min), (qn, r_max), (qn, r_min)))
            diffs[u] = evidence_difference(*sims, pooling).double().cpu().numpy().reshape(shape[1:])
            soft[u] = softmax_correct(*sims).cpu().numpy().reshape(shape[1:])
            u += 1
    return {"evidence": diffs, "correct": decisions(diffs), "p_softmax": soft}


def _distances(emb, metric: Metric):
    """(a, b) -> the distances between images a and b (index tensors into ``emb``): from
    their embeddings, or gathered from the pool's distance matrix."""
    from .interpretability import PoolDistances

    if isinstance(emb, PoolDistances):
        return lambda a, b: emb.matrix[a[:, None], b[None, :]]
    return lambda a, b: metric.pairwise(emb[a], emb[b])


def decisions(diffs: np.ndarray) -> np.ndarray:
    """Correctness of the hard observer: 1 if e0 > e1, 0.5 on a tie, else 0."""
    return np.where(diffs > 0, 1.0, np.where(diffs == 0, 0.5, 0.0))


def accuracy_table(result: dict[str, np.ndarray], directions: list[str],
                   quantiles: list[float]) -> pd.DataFrame:
    """Per direction and difficulty: accuracy over trials and mean evidence."""
    rows = []
    for u, name in enumerate(directions):
        for j, q in enumerate(quantiles):
            rows.append({"direction": name, "quantile": q,
                         "accuracy": float(result["correct"][u, j].mean()),
                         "p_softmax": float(result["p_softmax"][u, j].mean()),
                         "evidence": float(result["evidence"][u, j].mean())})
    return pd.DataFrame(rows)


def stimulus_set_evidence(index_sets: np.ndarray, images, *, metric: Metric, pooling: str = "max",
                          max_bytes: int = EMBEDDING_BUDGET) -> dict[str, np.ndarray]:
    """e0 - e1 of fixed 2-AFC stimulus sets, for the metric in all and per metric layer,
    and (as ``max_side``) the evidence from the max references alone, and (as ``mis``)
    the MIS observer's delta, mean-pooled over references whatever ``pooling`` is.

    Each row of ``index_sets`` holds one trial's images as IMI orders them: the
    max side's references then its query, the min side's references then its
    query. Sets are embedded a chunk at a time (at most about ``max_bytes`` of
    embeddings), so memory stays bounded however many trials there are.
    """
    n = index_sets.shape[1] // 2  # images per side; the last is the query
    q_max, q_min, refs_max, refs_min = n - 1, 2 * n - 1, slice(0, n - 1), slice(n, 2 * n - 1)
    out: dict[str, list] = {}
    for emb, local in embedded_chunks(index_sets, images, metric=metric, max_bytes=max_bytes):
        for name, cols in ({"all": slice(None)} | metric.layer_slices()).items():
            s = -set_distances(local, emb[:, cols], metric=metric).double()
            sims = (s[:, q_max, refs_max], s[:, q_max, refs_min], s[:, q_min, refs_max],
                    s[:, q_min, refs_min])
            out.setdefault(name, []).append(evidence_difference(*sims, pooling).cpu().numpy())
            if name == "all":  # the paper's notebook variant: the max references alone
                top = POOLING[pooling](sims[0]) - POOLING[pooling](sims[2])
                out.setdefault(MAX_SIDE, []).append(top.cpu().numpy())
                delta = evidence_difference(*sims, pooling="mean")
                out.setdefault(MIS_DELTA, []).append(delta.cpu().numpy())
    return {name: np.concatenate(parts) for name, parts in out.items()}
