"""The scoring section of the config as one typed object.

Its defaults are the library's (``mis.DEFAULTS``, ``lowlevel.BASELINE_DEFAULTS``,
``calibration.DEFAULTS`` and the fields below); the schema states the same defaults
for its readers, and ``tests/test_settings.py`` proves that the two agree. Rules pass
the object whole, so a job's function takes its settings by name, never by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .calibration import DEFAULTS as CALIBRATION_DEFAULTS
from .lowlevel import BASELINE_DEFAULTS
from .mis import DEFAULTS as MIS_DEFAULTS

NESTED = {"mis": MIS_DEFAULTS, "lowlevel_baseline": BASELINE_DEFAULTS,
          "calibration": CALIBRATION_DEFAULTS}


@dataclass(frozen=True)
class Scoring:
    """II, MIS, the bland-image control and the calibration, as configured."""

    metric: str
    k: int
    controls: tuple = ()
    n_random: int = 500
    metric_size: int | None = None
    cache_embeddings: bool = True
    one_per_group: bool = True
    lowlevel_baseline: dict = field(default_factory=lambda: dict(BASELINE_DEFAULTS))
    mis: dict = field(default_factory=lambda: dict(MIS_DEFAULTS))
    calibration: dict = field(default_factory=lambda: dict(CALIBRATION_DEFAULTS))

    @classmethod
    def from_config(cls, section: dict) -> "Scoring":
        """From the config's scoring section; a nested section given in part keeps the
        defaults of the keys it leaves out. Unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"scoring: unknown settings {unknown}; known: {sorted(known)}")
        values = dict(section)
        for key, defaults in NESTED.items():
            values[key] = defaults | section.get(key, {})
        values["controls"] = tuple(section.get("controls", ()))
        return cls(**values)

    @property
    def metrics(self) -> list[str]:
        """The II's metric first, then the controls that differ from it."""
        return [self.metric] + [m for m in self.controls if m != self.metric]
