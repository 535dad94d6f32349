"""The config's rows, typed: a model (a row of ``models``, or one a zoo entry expands
to), a brain recording and an image pool, each read once from its validated row, with
the schema's defaults as its own (``tests/test_settings.py`` proves the two agree). The
rules read their fields by name instead of picking keys out of dicts."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class ModelRow:
    """A network, the pool it is shown and the layers read (layer names, once the plan
    has resolved stages and depth fractions)."""

    architecture: str
    weights: str
    pool: str
    layers: list
    weights_url: str | None = None
    statistic: str = "centre"
    layout: str | None = None
    input_size: int | None = None
    batch_size: int = 64
    k_ratio: float | None = None
    untrained_null: bool = False
    accuracy: bool = False
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

    @property
    def size(self) -> int:
        return self.options["size"]
