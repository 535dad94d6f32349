"""The scoring and psychophysics sections of the config as typed objects.

Their defaults are the library's (``mis.DEFAULTS``, ``lowlevel.BASELINE_DEFAULTS``,
``calibration.DEFAULTS`` and the fields below); the schema states the same defaults
for its readers, and ``tests/test_settings.py`` proves that the two agree. Rules pass
each object whole, so a job's function takes its settings by name, never by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .calibration import DEFAULTS as CALIBRATION_DEFAULTS
from .lowlevel import BASELINE_DEFAULTS, n_coefficients
from .mis import DEFAULTS as MIS_DEFAULTS

NESTED = {"mis": MIS_DEFAULTS, "lowlevel_baseline": BASELINE_DEFAULTS,
          "calibration": CALIBRATION_DEFAULTS}


def _refuse_unknown(cls, section: dict, name: str) -> None:
    """A settings section's keys that its class lacks are an error, naming them."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ValueError(f"{name}: unknown settings {unknown}; known: {sorted(known)}")


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
        _refuse_unknown(cls, section, "scoring")
        values = dict(section)
        for key, defaults in NESTED.items():
            values[key] = defaults | section.get(key, {})
        values["controls"] = tuple(section.get("controls", ()))
        return cls(**values)

    @property
    def metrics(self) -> list[str]:
        """The II's metric first, then the controls that differ from it."""
        return [self.metric] + [m for m in self.controls if m != self.metric]

    def pool_requirements(self) -> dict[str, int]:
        """The fewest images a scored pool needs for each score, keyed by the settings
        that ask for them, so a config whose pool is too small is refused before any job
        runs."""
        import math

        mis, degree = self.mis, self.lowlevel_baseline["degree"]
        need_mis = int(mis["n_references"] / mis["quantile"])  # smallest N, enough per side
        while math.ceil(mis["quantile"] * need_mis) < mis["n_references"] + 1:
            need_mis += 1
        return {f"scoring.k {self.k}": self.k,
                f"scoring.mis (n_references {mis['n_references']} in quantile "
                f"{mis['quantile']:g})": need_mis,
                f"scoring.lowlevel_baseline (degree {degree}: its coefficients + k + 1)":
                    n_coefficients(degree) + self.k + 1}


@dataclass(frozen=True)
class Psychophysics:
    """The in-silico 2-AFC task, as configured (the schema states the same defaults)."""

    methods: tuple
    n_references: int
    quantiles: tuple
    n_trials: int
    band: float = 0.05
    pooling: str = "max"

    @classmethod
    def from_config(cls, section: dict) -> "Psychophysics":
        """From the config's psychophysics section; unknown keys are an error."""
        _refuse_unknown(cls, section, "psychophysics")
        return cls(**section | {"methods": tuple(section["methods"]),
                                "quantiles": tuple(section["quantiles"])})
