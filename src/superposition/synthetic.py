"""A synthetic neural population with planted superposition.

Ground-truth features are conjunctions of an image pool's factors (e.g. each
shape-colour pair of the ``shapes`` pool). Each neuron is a rectified sparse,
non-negative mixture of a few features, so there are more features than neurons
and every neuron is polysemantic; spike counts are Poisson. The feature
directions in neuron space (the columns of the mixing matrix) are stored, so a
direction method's recovery of them can be checked.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from itertools import product

import numpy as np


@dataclass(frozen=True)
class PopulationSettings:
    """A synthetic population's settings, its config row under ``brain`` (adapter
    ``synthetic``) read once: the factors whose conjunctions are the features, the
    neurons, the mixing (``sparse``: ``features_per_neuron`` non-negative features per
    neuron; ``gaussian``: each feature a random unit direction), the rates' gain and
    baseline, and how each image's features are scaled (``size``: by the object's size;
    ``independent``: uniform 0.5-1.5 per image and feature). Its defaults are these."""

    factors: list
    n_neurons: int
    features_per_neuron: int
    gain: float
    baseline: float
    mixing: str = "sparse"
    intensity: str = "size"

    @classmethod
    def from_row(cls, row: dict) -> "PopulationSettings":
        """From a brain row: its own keys, the row's other keys (pool, area) left out."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})

    @classmethod
    def required(cls) -> list[str]:
        """The settings a row must give (those without a default)."""
        return [f.name for f in fields(cls) if f.default is MISSING]


@dataclass
class Population:
    responses: np.ndarray  # images x neurons (spike counts)
    rates: np.ndarray  # images x neurons (noise-free)
    mixing: np.ndarray  # neurons x features
    features: np.ndarray  # images x features (feature intensities)
    feature_names: list[str]


def conjunction_features(factors: dict[str, np.ndarray], names: list[str],
                         intensity: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
    """One-hot code of the joint value of ``names`` per image, scaled by ``intensity``."""
    levels = [np.unique(factors[n]) for n in names]
    combos = list(product(*levels))
    lookup = {c: i for i, c in enumerate(combos)}
    z = np.zeros((len(factors[names[0]]), len(combos)))
    for i, key in enumerate(zip(*(factors[n] for n in names))):
        z[i, lookup[tuple(key)]] = 1.0
    if intensity is not None:
        z *= intensity[:, None]
    labels = ["-".join(f"{n}={v:g}" for n, v in zip(names, c)) for c in combos]
    return z, labels


def binned(values: np.ndarray, bins: int = 4) -> np.ndarray:
    """A factor's levels: its values where it has at most ``bins``, else quantile bins."""
    if len(np.unique(values)) <= bins:
        return values
    return np.digitize(values, np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])).astype(float)


def grouped_features(factors: dict[str, np.ndarray],
                     groups: list[list[str]]) -> tuple[np.ndarray, list[str]]:
    """One conjunction code per group of factors, side by side: each image holds one
    feature of every group, so as many features as groups are active at once (e.g.
    shape-colour, size-x and y-rotation: 3 of 48). Continuous factors are cut into
    quartiles."""
    parts = [conjunction_features({n: binned(factors[n]) for n in group}, group)
             for group in groups]
    return np.hstack([p[0] for p in parts]), [n for p in parts for n in p[1]]


MIXINGS = ("sparse", "gaussian")


def planted_population(features: np.ndarray, feature_names: list[str], *, n_neurons: int,
                       features_per_neuron: int, gain: float, baseline: float,
                       seed: int, mixing: str = "sparse") -> Population:
    """Mix features into neurons; counts ~ Poisson of the rates.

    ``sparse``: each neuron a non-negative mixture of ``features_per_neuron`` features,
    rate = baseline + gain * relu(Z W^T). ``gaussian``: each feature a random unit
    direction in neuron space (far less coherent than non-negative ones, so many more
    features than neurons stay identifiable), rate = relu(baseline + gain * Z W^T).
    """
    rng = np.random.default_rng(seed)
    n_feat = features.shape[1]
    if mixing == "gaussian":
        mixing_matrix = rng.standard_normal((n_neurons, n_feat))
        mixing_matrix /= np.linalg.norm(mixing_matrix, axis=0)
        rates = np.maximum(baseline + gain * features @ mixing_matrix.T, 0)
        return Population(rng.poisson(rates).astype(np.float64), rates, mixing_matrix, features,
                          list(feature_names))
    if mixing != "sparse":
        raise ValueError(f"mixing must be one of {MIXINGS}, not {mixing!r}")
    if features_per_neuron > n_feat:
        raise ValueError("features_per_neuron exceeds the number of features")
    mixing = np.zeros((n_neurons, n_feat))
    # deal features round-robin first so every feature drives at least one neuron
    deck = list(rng.permutation(n_feat))
    for i in range(n_neurons):
        chosen = set()
        while len(chosen) < features_per_neuron:
            if not deck:
                deck = list(rng.permutation(n_feat))
            chosen.add(deck.pop())
        mixing[i, sorted(chosen)] = rng.uniform(0.5, 1.5, len(chosen))
    rates = baseline + gain * np.maximum(features @ mixing.T, 0)
    return Population(rng.poisson(rates).astype(np.float64), rates, mixing, features,
                      list(feature_names))
