"""What every direction method shares: the registry a config name selects from, the
DirectionSet each method returns, and the one reading of a direction set's name.

A direction set is named ``<method>[_shuffled][@ratio]``: ``kmeans`` (K from the
source's ``k_ratio``), ``kmeans@2`` (K = 2n, a K sweep), ``kmeans_shuffled@2`` (its
shuffled-fit null: the same method fitted on responses permuted per unit). Both
the classic methods (``directions``) and the ``overcomplete`` dictionaries
(``dictionaries``) register here, so neither imports the other's module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .registry import Registry

METHODS: Registry = Registry("direction method")
SHUFFLED = "_shuffled"  # suffix of a method's shuffled-fit null: kmeans_shuffled, pca_shuffled


@dataclass
class DirectionSet:
    components: np.ndarray  # K x units, unit-norm rows
    responses: np.ndarray  # images x K
    info: dict = field(default_factory=dict)
    # the fitted map from (images x units) responses to (images x K) direction responses
    encode: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SetName:
    """A direction set's name, read once: ``kmeans_shuffled@2`` has ``fitted`` kmeans,
    ``shuffled`` True, ``ratio`` 2.0 and ``base`` kmeans_shuffled."""

    fitted: str
    shuffled: bool = False
    ratio: float | None = None

    @classmethod
    def parse(cls, name: str) -> "SetName":
        base, at, ratio = str(name).partition("@")
        return cls(base.removesuffix(SHUFFLED), base.endswith(SHUFFLED),
                   float(ratio) if at else None)

    @property
    def base(self) -> str:
        """The method the set's job runs: kmeans_shuffled@2 -> kmeans_shuffled."""
        return self.fitted + (SHUFFLED if self.shuffled else "")

    def null(self) -> "SetName":
        """The set's shuffled-fit null: kmeans@2 -> kmeans_shuffled@2."""
        return SetName(self.fitted, True, self.ratio)

    def random(self) -> "SetName":
        """The set's random-dictionary null, random unit directions at its K:
        topk_sae@3 -> random@3."""
        return SetName("random", False, self.ratio)

    def __str__(self) -> str:
        return self.base + ("" if self.ratio is None else f"@{self.ratio:g}")


def set_name(method: str, ratio: float | None = None) -> str:
    """The name of a method's set at a sweep ratio: kmeans, 2 -> kmeans@2."""
    parsed = SetName.parse(method)
    return str(SetName(parsed.fitted, parsed.shuffled, ratio))
