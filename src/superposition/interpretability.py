"""The Interpretability Index (II): how alike a unit's top-k images look.

II(u) = - mean pairwise perceptual distance between the k images that drive u
most (k = 5 in the paper). Two averaging conventions are reported: over the
k(k-1) distinct pairs (the paper's text) and over the full k x k matrix with its
zero diagonal (the paper's code; equal to (k-1)/k times the former).
"""

from __future__ import annotations

import numpy as np
import torch

from .metrics import Metric


def _check_groups(groups: np.ndarray, k: int) -> None:
    n = len(np.unique(groups))
    if n < k:
        raise ValueError(f"one image per group needs at least k={k} groups, the pool has {n}: "
                         f"set scoring.one_per_group: false")


def group_members(groups: np.ndarray) -> list[np.ndarray]:
    """Each group's positions in ``groups``, ascending."""
    _, inverse = np.unique(groups, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(inverse[order])) + 1)


def top_k(responses: np.ndarray, k: int, *, chunk: int = 256,
          groups: np.ndarray | None = None) -> np.ndarray:
    """(units x k) image indices, strongest first; ties broken by image order.

    With ``groups`` (a group per image, e.g. the photograph a crop was cut from), at
    most one image per group: near-duplicate crops cannot make a set look coherent.
    Sorted ``chunk`` units at a time: a full argsort of 50,000 images x 2,048 units
    would hold 0.8 GB of indices to keep 0.04 MB of them.
    """
    if responses.shape[0] < k:
        raise ValueError(f"need at least k={k} images, have {responses.shape[0]}")
    if groups is None:
        parts = [_top_k_columns(responses[:, s:s + chunk], k)
                 for s in range(0, responses.shape[1], chunk)]
        return np.concatenate(parts) if parts else np.empty((0, k), np.int64)
    groups = np.asarray(groups)
    _check_groups(groups, k)
    members = group_members(groups)
    out = np.empty((responses.shape[1], k), np.int64)
    for s in range(0, responses.shape[1], chunk):
        r = responses[:, s:s + chunk]
        best = np.empty((len(members), r.shape[1]), np.int64)  # each group's best image
        for g, idx in enumerate(members):
            best[g] = idx[np.argmax(r[idx], axis=0)]  # ties: the first image
        value = np.take_along_axis(r, best, axis=0)
        ranked = np.lexsort((best, -value), axis=0)[:k]  # groups by best image, ties by index
        out[s:s + r.shape[1]] = np.take_along_axis(best, ranked, axis=0).T
    return out


def _top_k_columns(r: np.ndarray, k: int) -> np.ndarray:
    """(columns x k) indices of each column's k largest values, strongest first, ties by
    index: a stable descending sort's first k. The k are found by partition (linear in
    the images); a column whose k-th value is tied beyond the k is sorted whole."""
    r = np.asarray(r)
    n = len(r)
    if k >= n or not np.isfinite(r).all():
        return np.argsort(-r, axis=0, kind="stable")[:k].T
    kth = -np.partition(-r, k - 1, axis=0)[k - 1]
    above = r >= kth
    exact = above.sum(axis=0) == k
    out = np.empty((r.shape[1], k), np.int64)
    if exact.any():
        rows, cols = np.nonzero(above[:, exact])  # k rows per column, in index order
        rows = rows[np.argsort(cols, kind="stable")].reshape(-1, k)  # column x its k rows
        values = np.take_along_axis(r[:, exact].T, rows, axis=1)
        order = np.lexsort((rows, -values), axis=1)
        out[exact] = np.take_along_axis(rows, order, axis=1)
    if (~exact).any():
        out[~exact] = np.argsort(-r[:, ~exact], axis=0, kind="stable")[:k].T
    return out


POOL_DISTANCES_MAX = 10_000  # images: a pool this small keeps its whole distance matrix


class PoolDistances:
    """Every pairwise distance between a pool's images under one metric (``embed_pool``
    stores them for pools of at most ``POOL_DISTANCES_MAX`` images): a set's k x k block
    is a gather, with no embedding read or multiplied, however many sets share images."""

    def __init__(self, matrix):
        self.matrix = torch.as_tensor(np.asarray(matrix, np.float32))
        self.shape = self.matrix.shape

    def within(self, index_sets: np.ndarray) -> torch.Tensor:
        idx = torch.as_tensor(index_sets)
        return self.matrix[idx[:, :, None], idx[:, None, :]]


def pool_distance_matrix(embeddings: torch.Tensor, metric: Metric,
                         rows: int = 1024) -> np.ndarray:
    """(images x images) distances from the pool's embeddings, by the same arithmetic as
    :func:`set_distances` (float32, squared norms once), the diagonal exactly 0."""
    norms = (embeddings * embeddings).sum(-1)
    out = np.empty((len(embeddings), len(embeddings)), np.float32)
    for start in range(0, len(embeddings), rows):
        block = embeddings[start:start + rows]
        d = (norms[start:start + rows, None] + norms[None] - 2 * block @ embeddings.T).clamp_min(0)
        out[start:start + rows] = (d if metric.squared else d.sqrt()).numpy()
    np.fill_diagonal(out, 0)
    return out


def set_distances(index_sets: np.ndarray, embeddings, *, metric: Metric,
                  max_elements: int = 4_000_000) -> torch.Tensor:
    """(sets x k x k) distances within each set of image indices into ``embeddings`` (a
    tensor, or the pool's :class:`PoolDistances`).

    Squared norms come from the embeddings once; each chunk of sets (bounded to
    ``max_elements`` gathered values, small enough to stay in cache: the gather
    is memory-bound) needs one batched matrix product. The chunks are gathered into
    one reused buffer: a fresh 16 MB tensor per chunk costs more in page faults than
    the arithmetic.
    """
    if isinstance(embeddings, PoolDistances):
        return embeddings.within(index_sets)
    norms = (embeddings * embeddings).sum(-1)
    k, dim = index_sets.shape[1], embeddings.shape[1]
    chunk = max(1, max_elements // (k * dim))
    buffer = embeddings.new_empty((min(chunk, len(index_sets)) * k, dim))
    out = []
    for start in range(0, len(index_sets), chunk):
        idx = torch.as_tensor(index_sets[start:start + chunk], device=embeddings.device)
        flat = idx.reshape(-1)
        e = torch.index_select(embeddings, 0, flat, out=buffer[:len(flat)]).view(*idx.shape, dim)
        sq = norms[idx]
        d = (sq[:, :, None] + sq[:, None, :] - 2 * torch.bmm(e, e.transpose(1, 2))).clamp_min(0)
        d = d if metric.squared else d.sqrt()
        d.diagonal(dim1=1, dim2=2).zero_()
        out.append(d)
    return torch.cat(out)


def ii_from_distances(d: torch.Tensor) -> dict[str, np.ndarray]:
    """Both averaging conventions from (sets x k x k) distance matrices."""
    k = d.shape[-1]
    total = d.sum(dim=(1, 2)).double().cpu().numpy()
    return {"ii_pairs": -total / (k * (k - 1)), "ii_code": -total / (k * k)}


def embed_subset(images, indices: np.ndarray, *, metric: Metric,
                 cache=None) -> tuple[torch.Tensor, np.ndarray]:
    """Embed each unique image once, or read its row of ``cache`` (the pool's embeddings
    under ``metric``, images x features); return embeddings and positions for
    ``indices``."""
    unique, inverse = np.unique(indices, return_inverse=True)
    if cache is None:
        emb = metric.embed(images[unique])
    else:
        emb = torch.from_numpy(np.asarray(cache[unique], np.float32))
    return emb, inverse.reshape(indices.shape)


EMBEDDING_BUDGET = 1 << 30  # bytes of embeddings held at once


def embedded_chunks(index_sets: np.ndarray, images, *, metric: Metric,
                    max_bytes: int = EMBEDDING_BUDGET, cache=None):
    """Yield (embeddings, local index sets) for consecutive chunks of ``index_sets``.

    Each unique image is embedded once per chunk, and a chunk holds as many sets
    as fit while their unique images' embeddings take at most about ``max_bytes``:
    memory stays bounded however many sets there are and however wide the
    embedding (LPIPS-AlexNet: 23 kB an image at 32 px, 1.9 MB at 224 px), and sets
    that share images (the MIS tasks of many units drawn from one pool) share one
    embedding pass. With ``cache`` (see :func:`embed_subset`) rows are read, not embedded;
    with the pool's :class:`PoolDistances`, the sets go through in chunks as they are.
    """
    if len(index_sets) == 0:
        return
    if isinstance(cache, PoolDistances):
        chunk = max(1, (1 << 24) // index_sets.shape[1] ** 2)  # 64 MB of distances a chunk
        for start in range(0, len(index_sets), chunk):
            yield cache, index_sets[start:start + chunk]
        return
    width = (metric.embed(images[index_sets[:1, 0]]) if cache is None else cache).shape[1]
    max_images = max(index_sets.shape[1], max_bytes // (4 * width))
    start = 0
    while start < len(index_sets):
        seen: set = set()
        stop = start
        while stop < len(index_sets):
            grown = seen.union(index_sets[stop].tolist())
            if len(grown) > max_images and stop > start:
                break
            seen, stop = grown, stop + 1
        yield embed_subset(images, index_sets[start:stop], metric=metric, cache=cache)
        start = stop


def set_ii(index_sets: np.ndarray, images, *, metric: Metric, max_bytes: int = EMBEDDING_BUDGET,
           cache=None) -> dict[str, np.ndarray]:
    """II of given image sets (sets x k indices into ``images``), in bounded memory; with
    ``cache`` (the pool's embeddings or :class:`PoolDistances` under ``metric``) read,
    not embedded."""
    parts = [ii_from_distances(set_distances(local, emb, metric=metric))
             for emb, local in embedded_chunks(index_sets, images, metric=metric,
                                               max_bytes=max_bytes, cache=cache)]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def interpretability_index(responses: np.ndarray, images, *, metric: Metric, k: int = 5,
                           groups: np.ndarray | None = None,
                           cache=None) -> dict[str, np.ndarray]:
    """II of every column of ``responses`` (images x units) under ``metric``; with
    ``groups``, of each column's top image per group; ``cache`` as for :func:`set_ii`."""
    top = top_k(responses, k, groups=groups)
    return set_ii(top, images, metric=metric, cache=cache) | {"top_k": top}


def random_baseline(n_images: int, images, *, metric: Metric, k: int = 5, n_sets: int = 500,
                    seed: int = 0, groups: np.ndarray | None = None,
                    cache=None) -> dict[str, np.ndarray]:
    """II of random k-image sets from the same pool: the chance level. With ``groups``,
    one image from each of k random groups, as the top-k sets take them; ``cache`` as
    for :func:`set_ii`."""
    rng = np.random.default_rng(seed)
    if groups is None:
        sets = np.stack([rng.choice(n_images, size=k, replace=False) for _ in range(n_sets)])
    else:
        _check_groups(groups, k)
        members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
        sets = np.stack([[rng.choice(members[g]) for g in rng.choice(len(members), k, False)]
                         for _ in range(n_sets)])
    scores = set_ii(sets, images, metric=metric, cache=cache)
    scores["top_k"] = sets
    return scores
