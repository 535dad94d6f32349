"""Direction discovery: bases of activation space whose units are scored like neurons.

Every method maps an (images x units) matrix to a DirectionSet: unit-norm
directions (K x units) and the response of every image along each (images x K).
A name in the config selects the method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .methods import METHODS, DirectionSet, SetName


def unit_rows(a: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(a, axis=1, keepdims=True)
    return a / np.where(norm > 0, norm, 1)


def orient(components: np.ndarray, responses: np.ndarray):
    """Flip signs so each response distribution has its long tail positive; return
    the signs too, for the encoder.

    PCA and ICA leave the sign open; top-k images should come from the tail.
    """
    from scipy.stats import skew

    sign = np.where(skew(responses, axis=0) < 0, -1.0, 1.0)
    return components * sign[:, None], responses * sign[None], sign


@METHODS.register("neurons", fitted=False, colour="#4d4d4d")
def neurons(x: np.ndarray, n_components: int, seed: int) -> DirectionSet:
    """The units themselves: the axis-aligned basis."""
    return DirectionSet(np.eye(x.shape[1]), x.copy(), {"basis": "axis-aligned"},
                        lambda v: v.copy())


@dataclass
class KMeansFit:
    cluster_centers_: np.ndarray
    labels_: np.ndarray
    inertia_: float


def _kmeans_fit(x: np.ndarray, n_components: int, seed: int, n_init: int, init: str,
                max_iter: int, device: str = "cpu"):
    """K-means on unit-normalised rows: scikit-learn on the CPU, a torch Lloyd loop
    on a GPU (where it is far faster; same objective, own random stream)."""
    data = unit_rows(x)
    if init == "identity":
        if n_components != x.shape[1]:
            raise ValueError("kmeans init 'identity' needs n_components equal to the unit count")
        init, n_init = np.eye(x.shape[1]), 1
    if device.startswith("cuda"):
        return torch_kmeans(data, n_components, seed=seed, n_init=n_init, init=init,
                            max_iter=max_iter, device=device)
    from sklearn.cluster import KMeans

    return KMeans(n_components, init=init, n_init=n_init, max_iter=max_iter,
                  random_state=seed).fit(data)


def torch_kmeans(data: np.ndarray, k: int, *, seed: int, n_init: int = 10,
                 init: str | np.ndarray = "k-means++", max_iter: int = 300,
                 device: str = "cpu", tol: float = 1e-4) -> KMeansFit:
    """Lloyd's algorithm in torch, best of ``n_init`` starts (k-means++, random rows or
    given centroids); stops when the centroids move less than scikit-learn's
    tolerance (``tol`` times the mean feature variance)."""
    import torch

    x = torch.as_tensor(data, dtype=torch.float32, device=device)
    norms = (x * x).sum(1)
    gen = torch.Generator().manual_seed(seed)
    threshold = tol * float(x.var(0).mean())

    def distances(c):
        return (norms[:, None] - 2 * x @ c.T + (c * c).sum(1)[None]).clamp_min_(0)

    def start():
        if not isinstance(init, str):
            return torch.as_tensor(init, dtype=torch.float32, device=device)
        if init == "random":
            return x[torch.randperm(len(x), generator=gen)[:k].to(device)].clone()
        chosen = [int(torch.randint(len(x), (1,), generator=gen))]  # k-means++
        d2 = distances(x[chosen])[:, 0]
        for _ in range(1, k):
            weights = d2.double().cpu()
            i = int(torch.multinomial(weights / weights.sum(), 1, generator=gen))
            chosen.append(i)
            d2 = torch.minimum(d2, distances(x[i:i + 1])[:, 0])
        return x[chosen].clone()

    best = None
    for _ in range(n_init):
        c = start()
        for _ in range(max_iter):
            labels = distances(c).argmin(1)
            counts = torch.bincount(labels, minlength=k)
            sums = torch.zeros_like(c).index_add_(0, labels, x)
            new = torch.where(counts[:, None] > 0, sums / counts.clamp_min(1)[:, None], c)
            moved = float(((new - c) ** 2).sum())
            c = new
            if moved <= threshold:
                break
        d = distances(c)
        inertia = float(d.min(1).values.sum())
        if best is None or inertia < best.inertia_:
            best = KMeansFit(c.cpu().numpy().astype(np.float64), d.argmin(1).cpu().numpy(),
                             inertia)
    return best


def _kmeans_respond(x: np.ndarray, centroids: np.ndarray, response: str) -> np.ndarray:
    if response == "neg_distance":  # |a - c| from |a|^2 + |c|^2 - 2 a.c: images x K memory only
        u = unit_rows(x)
        squared = (u ** 2).sum(1)[:, None] + (centroids ** 2).sum(1)[None] - 2 * u @ centroids.T
        return -np.sqrt(np.maximum(squared, 0))
    if response == "projection":
        return x @ unit_rows(centroids).T
    raise ValueError(f"kmeans response must be neg_distance or projection, not {response!r}")


@METHODS.register("kmeans", gpu=True, colour="#d62728")  # a torch Lloyd loop on CUDA
def kmeans(x: np.ndarray, n_components: int, seed: int, n_init: int = 10,
           init: str = "k-means++", response: str = "neg_distance",
           max_iter: int = 300, device: str = "cpu") -> DirectionSet:
    """The paper's method: K-means on unit-normalised activation vectors.

    ``init='identity'`` starts at the neuron axes (the paper's Sept-2023 code,
    K = n only). ``response`` is the paper's ``neg_distance`` (minus the distance
    of the normalised image vector to the centroid) or ``projection`` of the raw
    activations on the unit centroid (the later refactor).
    """
    model = _kmeans_fit(x, n_components, seed, n_init, init, max_iter, device)
    sizes = np.bincount(model.labels_, minlength=n_components)
    centroids = model.cluster_centers_
    return DirectionSet(unit_rows(centroids), _kmeans_respond(x, centroids, response),
                        {"inertia": float(model.inertia_), "cluster_sizes": sizes.tolist(),
                         "response": response},
                        lambda v: _kmeans_respond(v, centroids, response))


@METHODS.register("pca", colour="#1f77b4")
def pca(x: np.ndarray, n_components: int, seed: int) -> DirectionSet:
    from sklearn.decomposition import PCA

    n = min(n_components, *x.shape)
    model = PCA(n, random_state=seed).fit(x)
    comps, resp, sign = orient(model.components_, model.transform(x))
    return DirectionSet(comps, resp, {"explained_variance_ratio":
                                      model.explained_variance_ratio_.tolist()},
                        lambda v: model.transform(v) * sign[None])


@METHODS.register("ica", colour="#2ca02c")
def ica(x: np.ndarray, n_components: int, seed: int, max_iter: int = 500) -> DirectionSet:
    import warnings

    from sklearn.decomposition import FastICA

    n = min(n_components, *x.shape)
    model = FastICA(n, whiten="unit-variance", random_state=seed, max_iter=max_iter)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resp = model.fit_transform(x)
    comps, resp, sign = orient(unit_rows(model.components_), resp)
    return DirectionSet(comps, resp, {"n_iter": int(model.n_iter_),
                                      "warnings": sorted({str(w.message) for w in caught})},
                        lambda v: model.transform(v) * sign[None])


@METHODS.register("nmf", colour="#9467bd")
def nmf(x: np.ndarray, n_components: int, seed: int, max_iter: int = 500) -> DirectionSet:
    """NMF of the rectified activations (negative parts set to zero)."""
    import warnings

    from sklearn.decomposition import NMF

    xp = np.clip(x, 0, None)
    init = "nndsvda" if n_components <= min(x.shape) else "random"  # nndsvda needs K <= n
    model = NMF(n_components, init=init, random_state=seed, max_iter=max_iter)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        codes = model.fit_transform(xp)
    norms = np.linalg.norm(model.components_, axis=1)
    return DirectionSet(unit_rows(model.components_), codes * norms[None],
                        {"reconstruction_err": float(model.reconstruction_err_),
                         "rectified": True,
                         "warnings": sorted({str(w.message) for w in caught})},
                        lambda v: model.transform(np.clip(v, 0, None)) * norms[None])


@METHODS.register("random", fitted=False, colour="#bcbd22")
def random_directions(x: np.ndarray, n_components: int, seed: int) -> DirectionSet:
    """Random unit directions: the baseline any method should beat."""
    rng = np.random.default_rng(seed)
    comps = unit_rows(rng.standard_normal((n_components, x.shape[1])))
    return DirectionSet(comps, x @ comps.T, {"distribution": "isotropic Gaussian"},
                        lambda v: v @ comps.T)


def shuffle_units(x: np.ndarray, seed: int) -> np.ndarray:
    """Each unit's responses permuted across images on their own: every unit keeps its
    distribution, and which units fire together is lost."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.permutation(col) for col in x.T])


def shuffled_fit(x: np.ndarray, method: str, *, n_components: int, seed: int,
                 **params) -> DirectionSet:
    """The shuffled-fit null of any method: fitted after permuting each unit's
    responses across images, then applied to the real responses.

    The shuffle keeps every unit's response distribution but destroys which units
    fire together. What a method gains over the neurons with this fit comes from the
    procedure (normalisation, ranking, K), not from structure in the population.
    """
    fit = METHODS.get(method)(shuffle_units(x, seed), n_components, seed, **params)
    return DirectionSet(fit.components, fit.encode(x),
                        fit.info | {"null": "shuffled fit: fitted on responses permuted "
                                            "per unit, applied to the real responses"})


def n_directions(k_ratio: float, n_units: int, *, method: str, where: str = "",
                 n_images: int | None = None) -> int:
    """K = k_ratio x n_units, rounded; a method that fits directions needs K >= 2 (one
    direction is no basis to compare with the neurons) and, given the pool's size, at
    least K images."""
    k = max(1, int(round(k_ratio * n_units)))
    if k < 2 and method != "neurons":
        raise ValueError(f"{method}{where}: k_ratio {k_ratio:g} x {n_units} units gives K = {k} "
                         f"direction; K must be at least 2: set k_ratio to at least "
                         f"{2 / n_units:.3g}")
    if n_images is not None:
        enough_images(method, k, n_images=n_images, where=where)
    return k


def enough_images(method: str, k: int, *, n_images: int, where: str = "") -> None:
    if method != "neurons" and k > n_images:
        raise ValueError(f"{method}{where} with K={k} directions needs at least {k} images, "
                         f"the pool has {n_images}: use more images or a smaller k_ratio")


def find_directions(x: np.ndarray, method: str, *, n_components: int, seed: int,
                    **params) -> DirectionSet:
    if not np.isfinite(x).all():
        raise ValueError("responses contain NaN or inf; fix the input before direction discovery")
    enough_images(method, n_components, n_images=len(x))
    name = SetName.parse(method)
    if name.shuffled:
        result = shuffled_fit(x.astype(np.float64), name.fitted, n_components=n_components,
                              seed=seed, **params)
    else:
        result = METHODS.get(method)(x.astype(np.float64), n_components, seed, **params)
    result.info.update(method=method, n_components=int(result.components.shape[0]), seed=seed)
    return result


from . import dictionaries  # noqa: E402,F401  registers the `overcomplete` methods
