"""The config's rows, typed: a model (a row of ``models``, or one a zoo entry expands
to), a zoo entry, a brain recording, an image pool and a metric defined by a row, each
read once from its row, with the schema's defaults as its own (``tests/test_settings.py``
proves the two agree). The rules and the library read their fields by name instead of
picking keys out of dicts."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True, kw_only=True)
class _NetworkSettings:
    """What a model row and a zoo entry share: how the network is read and its nulls."""

    weights_url: str | None = None
    statistic: str = "centre"
    layout: str | None = None
    input_size: int | None = None
    batch_size: int = 64
    k_ratio: float | None = None
    untrained_null: bool = False
    accuracy: bool = False


@dataclass(frozen=True, kw_only=True)
class ModelRow(_NetworkSettings):
    """A network, the pool it is shown and the layers read (layer names, once the plan
    has resolved stages and depth fractions)."""

    architecture: str
    weights: str
    pool: str
    layers: list
    enabled: bool = True

    @classmethod
    def from_row(cls, row: dict) -> "ModelRow":
        return cls(**row)


@dataclass(frozen=True)
class RecordingRow:
    """A brain recording: the keys every adapter shares, and ``options``, the adapter's
    own keys (its files, layout, selection; a synthetic population's settings)."""

    adapter: str
    pool: str
    area: str
    animal: str | None = None
    zscore: bool = False
    min_std: float = 0.0
    k_ratio: float | None = None
    enabled: bool = True
    options: dict = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict) -> "RecordingRow":
        shared = {f.name for f in fields(cls)} - {"options"}
        return cls(**{k: v for k, v in row.items() if k in shared},
                   options={k: v for k, v in row.items() if k not in shared})


@dataclass(frozen=True)
class PoolRow:
    """An image pool: its kind and the kind's own settings (``options``: size, path,
    number of images and the rest, as the pool builder takes them)."""

    kind: str
    options: dict

    @classmethod
    def from_row(cls, row: dict) -> "PoolRow":
        return cls(row["kind"], {k: v for k, v in row.items() if k != "kind"})


@dataclass(frozen=True, kw_only=True)
class ZooEntry(_NetworkSettings):
    """A zoo entry: architectures (names or globs) that share one model row's settings,
    each of which becomes a model row (:meth:`model_row`)."""

    architectures: list
    pool: str
    layers: list | str
    weights: str = "pretrained"

    UNSTATED = ("weights_url", "layout", "k_ratio")  # no default: in a row only where given

    @classmethod
    def from_row(cls, row: dict) -> "ZooEntry":
        return cls(**row)

    def model_row(self, architecture: str, weights: str) -> dict:
        """One architecture's model row: the entry's settings, with its weights tag."""
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "architectures"}
        return {k: v for k, v in row.items() if v is not None or k not in self.UNSTATED} | {
            "architecture": architecture, "weights": weights}


@dataclass(frozen=True)
class MetricRow:
    """A deep-feature metric defined by a config row: a network of the model registry, its
    weights tag (or random) and the layers whose features the distance compares."""

    architecture: str
    weights: str
    layers: list

    @classmethod
    def from_row(cls, row: dict) -> "MetricRow":
        return cls(**row)
