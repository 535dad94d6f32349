"""The config's sections as typed objects: directions, scoring, psychophysics, figures
and the IMI branch.

Their defaults are the library's (``mis.DEFAULTS``, ``lowlevel.BASELINE_DEFAULTS``,
``calibration.DEFAULTS``, each method's own keyword defaults and the fields below); the
schema states the same defaults for its readers, and ``tests/test_settings.py`` proves
that the two agree. Rules pass each object whole, so a job's function takes its settings
by name, never by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .calibration import DEFAULTS as CALIBRATION_DEFAULTS
from .lowlevel import BASELINE_DEFAULTS, images_needed, n_coefficients
from .methods import SetName, set_name
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

        mis = self.mis
        need_mis = int(mis["n_references"] / mis["quantile"])  # smallest N, enough per side
        while math.ceil(mis["quantile"] * need_mis) < mis["n_references"] + 1:
            need_mis += 1
        return {f"scoring.k {self.k}": self.k,
                f"scoring.mis (n_references {mis['n_references']} in quantile "
                f"{mis['quantile']:g})": need_mis,
                **{f"scoring.{name} ({d['basis']} basis, degree {d['degree']}, hinges "
                   f"{d['hinges']}, {d['folds']} folds: each fit's coefficients + k + 1)":
                   images_needed(n_coefficients(d["degree"], d["hinges"], d["basis"]), self.k,
                                 d["folds"]) for name, d in self.shadow_designs().items()}}

    def shadow_designs(self) -> dict[str, dict]:
        """Setting name -> each low-level shadow design a run scores: the configured one
        and the calibration's candidates."""
        b = self.lowlevel_baseline
        return {"lowlevel_baseline": b} | {
            f"calibration.shadows.{name}": b | d
            for name, d in self.calibration["shadows"].items()}


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


@dataclass(frozen=True)
class Directions:
    """The direction methods, each at the source's K, and the K sweeps: ``sweeps`` holds
    one ``(methods, ratios)`` pair per sweep (the config gives one sweep or a list);
    ``options`` holds each method's own settings (its shuffled-fit null shares them);
    ``stability``: whether each fitted set is fitted twice, to measure its stability."""

    methods: tuple
    k_ratio: float
    sweeps: tuple = ()
    options: dict = field(default_factory=dict)
    stability: bool = True

    @classmethod
    def from_config(cls, section: dict) -> "Directions":
        sweeps = section.get("k_sweep", [])
        sweeps = [sweeps] if isinstance(sweeps, dict) else sweeps
        return cls(tuple(section["methods"]), section["k_ratio"],
                   tuple((tuple(s["methods"]), tuple(s["ratios"])) for s in sweeps),
                   {k: v for k, v in section.items()
                    if k not in ("methods", "k_ratio", "k_sweep", "stability")},
                   section.get("stability", True))

    @property
    def sweep_methods(self) -> list[str]:
        """The methods of every sweep, each once, in order."""
        return list(dict.fromkeys(m for methods, _ in self.sweeps for m in methods))

    @property
    def sets(self) -> list[str]:
        """Every direction set: each method at the source's K, then ``<method>@<ratio>``
        for the sweeps (K = ratio x number of units, e.g. the paper's n/2 and 2n)."""
        swept = (set_name(m, r) for methods, ratios in self.sweeps
                 for m in methods for r in ratios)
        return list(self.methods) + list(dict.fromkeys(swept))

    def params(self, direction_set: str) -> dict:
        """The settings of the method a direction set fits."""
        return self.options.get(SetName.parse(direction_set).fitted, {})

    def refits(self, direction_set: str) -> bool:
        """Whether a set is fitted a second time, with the next seed, to measure its
        stability: a fitted method's own set, not the neurons, a random dictionary
        (registered ``fitted=False``) or a shuffled-fit null."""
        from .directions import METHODS  # the registry, every method registered

        name = SetName.parse(direction_set)
        return (self.stability and not name.shuffled
                and METHODS.fact(name.fitted, "fitted", True))


@dataclass(frozen=True)
class Figures:
    """Which direction sets the MEI figure shows (none: no MEI figure), how many of the
    most and least interpretable units it shows of each, and the sparse dictionary the
    front page shows beside K-means (None: the most overcomplete of the direction sets)."""

    mei_methods: tuple = ()
    n_show: int = 3
    dictionary: str | None = None

    @classmethod
    def from_config(cls, section: dict) -> "Figures":
        _refuse_unknown(cls, section, "figures")
        return cls(**section | {"mei_methods": tuple(section.get("mei_methods", ()))})


@dataclass(frozen=True)
class Imi:
    """The validation against the IMI human psychophysics. ``models`` None: every IMI
    model; ``metrics`` None: the scoring section's metric and controls."""

    responses: str
    file_map: str
    imagenet_root: str
    models: tuple | None = None
    modes: tuple = ("natural",)
    passed_checks: bool = True
    drop_multi_participation: bool = True
    metrics: tuple | None = None
    pooling: str = "max"
    size: int = 224
    k: int = 5
    n_boot: int = 1000
    n_splits: int = 100
    figure_model: str = "resnet50"

    @classmethod
    def from_config(cls, section: dict | None) -> "Imi | None":
        """From the config's imi section; None where it is absent (the branch is off)."""
        if not section:
            return None
        _refuse_unknown(cls, section, "imi")
        values = dict(section)
        for key in ("models", "modes", "metrics"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)
