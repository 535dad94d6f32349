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


def top_k(responses: np.ndarray, k: int, chunk: int = 256) -> np.ndarray:
    """(units x k) image indices, strongest first; ties broken by image order.

    Sorted ``chunk`` units at a time: a full argsort of 50,000 images x 2,048 units
    would hold 0.8 GB of indices to keep 0.04 MB of them.
    """
    if responses.shape[0] < k:
        raise ValueError(f"need at least k={k} images, have {responses.shape[0]}")
    parts = [np.argsort(-responses[:, s:s + chunk], axis=0, kind="stable")[:k].T
             for s in range(0, responses.shape[1], chunk)]
    return np.concatenate(parts) if parts else np.empty((0, k), np.int64)


def set_distances(index_sets: np.ndarray, embeddings: torch.Tensor, metric: Metric,
                  max_elements: int = 4_000_000) -> torch.Tensor:
    """(sets x k x k) distances within each set of image indices into ``embeddings``.

    Squared norms come from the embeddings once; each chunk of sets (bounded to
    ``max_elements`` gathered values, small enough to stay in cache: the gather
    is memory-bound) needs one batched matrix product.
    """
    norms = (embeddings * embeddings).sum(-1)
    k, dim = index_sets.shape[1], embeddings.shape[1]
    chunk = max(1, max_elements // (k * dim))
    out = []
    for start in range(0, len(index_sets), chunk):
        idx = torch.as_tensor(index_sets[start:start + chunk], device=embeddings.device)
        e = embeddings[idx]
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


def embed_subset(images, indices: np.ndarray, metric: Metric) -> tuple[torch.Tensor, np.ndarray]:
    """Embed each unique image once; return embeddings and positions for ``indices``."""
    unique, inverse = np.unique(indices, return_inverse=True)
    emb = metric.embed(images[unique])
    return emb, inverse.reshape(indices.shape)


EMBEDDING_BUDGET = 1 << 30  # bytes of embeddings held at once


def embedded_chunks(index_sets: np.ndarray, images, metric: Metric,
                    max_bytes: int = EMBEDDING_BUDGET):
    """Yield (embeddings, local index sets) for consecutive chunks of ``index_sets``.

    Each unique image is embedded once per chunk, and a chunk's embeddings take
    at most about ``max_bytes``: memory stays bounded however many sets there are
    and however wide the embedding (LPIPS-AlexNet: 23 kB an image at 32 px, 1.9 MB
    at 224 px). At 32 px the paper's 2,048 layer4 units fit in one chunk.
    """
    if len(index_sets) == 0:
        return
    width = metric.embed(images[index_sets[:1, 0]]).shape[1]
    per_chunk = max(1, max_bytes // (4 * width * index_sets.shape[1]))
    for start in range(0, len(index_sets), per_chunk):
        yield embed_subset(images, index_sets[start:start + per_chunk], metric)


def set_ii(index_sets: np.ndarray, images, metric: Metric,
           max_bytes: int = EMBEDDING_BUDGET) -> dict[str, np.ndarray]:
    """II of given image sets (sets x k indices into ``images``), in bounded memory."""
    parts = [ii_from_distances(set_distances(local, emb, metric))
             for emb, local in embedded_chunks(index_sets, images, metric, max_bytes)]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def interpretability_index(responses: np.ndarray, images, metric: Metric,
                           k: int = 5) -> dict[str, np.ndarray]:
    """II of every column of ``responses`` (images x units) under ``metric``."""
    top = top_k(responses, k)
    return set_ii(top, images, metric) | {"top_k": top}


def random_baseline(n_images: int, images, metric: Metric, k: int = 5, n_sets: int = 500,
                    seed: int = 0) -> dict[str, np.ndarray]:
    """II of random k-image sets from the same pool: the chance level."""
    rng = np.random.default_rng(seed)
    sets = np.stack([rng.choice(n_images, size=k, replace=False) for _ in range(n_sets)])
    scores = set_ii(sets, images, metric)
    scores["top_k"] = sets
    return scores
