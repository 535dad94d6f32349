"""The run's plan as one object, built once from the validated config and the
architectures' facts: the expanded model rows (zoo entries, untrained nulls, layers
resolved), the sources that models and brains give, the direction sets of each, the
job batches that fit and score them, the targets, and the preflight. The workflow's
``common.smk`` only wraps it for Snakemake; planning is tested by function calls.

The config handed in is never edited: ``Plan.config`` is the expanded copy that a run
records in ``results/config.yaml``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .directions import METHODS  # the registry, every method registered
from .methods import SetName
from .rows import ModelRow, PoolRow, RecordingRow
from .settings import Directions, Figures, Imi, Psychophysics, Scoring

# the keys of a pool or brain row that name raw input files or folders
DATA_KEYS = ("path", "expdesign", "roi")


class PlanError(ValueError):
    """A config the plan cannot be built from; the message names the fix."""


class PreflightError(ValueError):
    """A raw input or size that would fail a job, found before any job runs."""


@dataclass(frozen=True)
class Source:
    """What a model or brain recording gives the analysis: responses of some units, per
    layer (a brain area is its one layer), to the images of one pool. ``kind``: ``model``
    or the brain adapter; ``null``: an untrained network, a null for the net effects."""

    name: str
    kind: str
    pool: str
    layers: list
    k_ratio: float
    null: bool = False


def data_inputs(row: dict) -> list[str]:
    """The files or folders a config row reads, so Snakemake tracks (or downloads) them."""
    return [row[key] for key in DATA_KEYS if key in row]


def untrained_nulls(models: dict) -> tuple[dict, dict]:
    """The model rows with a source ``<name>_untrained`` added (the same row with random
    weights) for every row that declares ``untrained_null``; and model -> its null."""
    rows, nulls = dict(models), {}
    for name, row in models.items():
        if row.get("untrained_null"):
            null = f"{name}_untrained"
            if null in models:
                raise PlanError(f"models.{name}.untrained_null adds the source {null!r}, "
                                f"which models already names: remove that row or the "
                                f"untrained_null flag")
            rows[null] = row | {"weights": "random", "untrained_null": False,
                                "accuracy": False}
            nulls[name] = null
    return rows, nulls


def zoo_rows(zoo: dict, models: dict) -> tuple[dict, dict]:
    """Every zoo entry's model rows, and source -> its entry and architecture."""
    from .zoo import expand_zoo

    try:
        rows, index = expand_zoo(zoo)
    except (KeyError, ValueError) as err:
        raise PlanError(err) from None
    both = set(rows) & set(models)
    if both:
        raise PlanError(f"zoo sources {sorted(both)} are also named in models: rename one")
    return rows, index


def resolve_layers(models: dict, facts, zoo: dict) -> tuple[dict, dict]:
    """Layers given as stages or depth fractions, as layer names (new rows); model ->
    {layer: relative depth}. Named layers need nothing, but zoo rows need their depths."""
    rows, depths = {}, {}
    for name, row in models.items():
        spec = row["layers"]
        named = not isinstance(spec, str) and all(isinstance(x, str) for x in spec)
        if named and name not in zoo:
            rows[name] = row
            continue
        try:
            layers, depths[name] = facts.resolve_layers(row["architecture"], spec)
        except (KeyError, ValueError) as err:
            raise PlanError(f"models.{name}: {err}") from None
        rows[name] = row | {"layers": layers}
    return rows, depths


def _planted_models(models: dict) -> dict:
    """User python/ networks that expose planted_directions: model -> its planted layers."""
    from .models import planted_layers

    found = {name: planted_layers(row["architecture"], row["layers"])
             for name, row in models.items() if row["architecture"].startswith("python/")}
    return {name: layers for name, layers in found.items() if layers}


@dataclass(frozen=True)
class MetricInputs:
    """What a job reads for its metrics, one object for its rule (the files) and its
    script (which file is which): metric -> its pretrained weights folder (the metrics
    with a network), metric -> the pool's embedding store (where embeddings are cached),
    and the IMI fit of MIS's alpha (where MIS takes fitted alphas)."""

    weights: dict = field(default_factory=dict)
    embeddings: dict = field(default_factory=dict)
    mis_alpha: str | None = None

    def files(self) -> list[str]:
        """Every file, for the rule's input: Snakemake makes them before the job runs."""
        return [*self.weights.values(), *self.embeddings.values(),
                *([self.mis_alpha] if self.mis_alpha else [])]


@dataclass
class Plan:
    """Everything a run does, decided before any job starts (see the module docstring)."""

    config: dict
    zoo: dict = field(default_factory=dict)  # zoo source -> its entry and architecture
    depths: dict = field(default_factory=dict)  # model -> {layer: relative depth}
    untrained: dict = field(default_factory=dict)  # model -> its untrained null source

    @classmethod
    def build(cls, config: dict, facts) -> "Plan":
        """The plan of a validated config (its schema's defaults filled in); ``facts``:
        the architectures' facts (:class:`..models.ArchitectureFacts`). Raises
        :class:`PlanError` naming the fix."""
        config = copy.deepcopy(config)
        models = config["models"]
        rows, zoo = zoo_rows(config.get("zoo", {}), models)
        models = models | rows
        models, depths = resolve_layers(models, facts, zoo)
        models, untrained = untrained_nulls(models)
        config["models"] = models
        return cls(config, zoo, depths, untrained)

    # the config's sections, typed
    @property
    def models(self) -> dict:
        return self.config["models"]

    @cached_property
    def model_rows(self) -> dict[str, ModelRow]:
        """Every model row (zoo entries and untrained nulls expanded, layers resolved)."""
        return {name: ModelRow.from_row(row) for name, row in self.models.items()}

    @cached_property
    def recording_rows(self) -> dict[str, RecordingRow]:
        return {name: RecordingRow.from_row(row) for name, row in self.brain.items()}

    @cached_property
    def pool_rows(self) -> dict[str, PoolRow]:
        return {name: PoolRow.from_row(row) for name, row in self.pools.items()}

    @property
    def brain(self) -> dict:
        return self.config["brain"]

    @property
    def pools(self) -> dict:
        return self.config["image_pools"]

    @cached_property
    def directions(self) -> Directions:
        return Directions.from_config(self.config["directions"])

    @cached_property
    def scoring(self) -> Scoring:
        return Scoring.from_config(self.config["scoring"])

    @cached_property
    def psychophysics(self) -> Psychophysics:
        return Psychophysics.from_config(self.config["psychophysics"])

    @cached_property
    def figures(self) -> Figures:
        return Figures.from_config(self.config["figures"])

    @cached_property
    def imi(self) -> Imi | None:
        """The IMI branch's settings; None where the config has no imi section."""
        return Imi.from_config(self.config.get("imi"))

    @property
    def analyses(self) -> dict:
        return self.config.get("analyses", {})

    # sources
    @cached_property
    def sources(self) -> dict[str, Source]:
        """Every model and brain recording, by name, in the config's order."""
        ratio = self.directions.k_ratio
        nulls = set(self.untrained.values())
        return {name: Source(name, "model", row["pool"], list(row["layers"]),
                             row.get("k_ratio", ratio), name in nulls)
                for name, row in self.models.items()} | {
            name: Source(name, row["adapter"], row["pool"], [row["area"]],
                         row.get("k_ratio", ratio))
            for name, row in self.brain.items()}

    @property
    def trained(self) -> list[str]:
        """Models with weights, whose accuracy on a labelled pool checks that they loaded."""
        return [name for name, row in self.models.items() if row["weights"] != "random"]

    @property
    def synthetic(self) -> list[str]:
        return [name for name, row in self.brain.items() if row["adapter"] == "synthetic"]

    @property
    def recorded(self) -> list[str]:
        return [name for name, row in self.brain.items() if row["adapter"] != "synthetic"]

    @cached_property
    def planted_models(self) -> dict:
        """User python/ networks that plant features: model -> its planted layers (their
        networks are built, so ask only once the model rows are checked)."""
        return _planted_models(self.models)

    @property
    def planted(self) -> dict:
        """Sources with ground truth, and their planted layers."""
        return {name: self.sources[name].layers for name in self.synthetic} | \
            self.planted_models

    @property
    def claim_sources(self) -> list[str]:
        """The sources whose numbers the claims document sets beside the paper's: every
        source but the untrained nulls."""
        return [name for name, s in self.sources.items() if not s.null]

    @property
    def catch_pools(self) -> list[str]:
        """Pools of the IMI catch-trial units' exemplars: a positive control that no
        source scores."""
        return [name for name, row in self.pools.items() if row["kind"] == "imi_stimuli"]

    @property
    def scored_pools(self) -> list[str]:
        return sorted({s.pool for s in self.sources.values()})

    @cached_property
    def pooled(self) -> dict:
        """The recorded sessions of every area recorded in two or more, each with its area
        and animal (a session without one is its own animal): pooled across sessions and
        animals, where the run has the neurons, K-means and its shuffled-fit null."""
        if not {"neurons", "kmeans", "kmeans_shuffled"} <= set(self.directions.sets):
            return {}
        areas = {}
        for name in self.recorded:
            areas.setdefault(self.brain[name]["area"], []).append(name)
        return {name: {"area": area, "animal": self.brain[name].get("animal", name)}
                for area, names in areas.items() if len(names) > 1 for name in names}

    @property
    def pooled_areas(self) -> list[str]:
        return sorted({info["area"] for info in self.pooled.values()})

    # direction sets and job batches
    def source_sets(self, source: str) -> list[str]:
        """The direction sets of a source: all, less the shuffled-fit nulls on a null."""
        sets = self.directions.sets
        if self.sources[source].null:
            return [d for d in sets if not SetName.parse(d).shuffled]
        return sets

    def k_ratio(self, source: str, direction_set: str) -> float:
        """K / number of units for a direction set: its sweep ratio, else the source's."""
        ratio = SetName.parse(direction_set).ratio
        return ratio if ratio is not None else self.sources[source].k_ratio

    def set_batches(self, split_gpu: bool) -> dict[str, tuple[list[str], list[str]]]:
        """The direction sets that one job per layer fits or scores together: every set of
        the layer, its shuffled-fit nulls with the rest, and, with ``split_gpu``, the sets
        whose method runs on a GPU apart from the others, so that only their job holds one.
        A null source has no shuffled fits, so its jobs are rules of their own
        (``*_untrained``). Rule suffix -> (its sets, the sources it serves)."""
        batches = {}
        for null in (False, True):
            sources = [name for name, s in self.sources.items() if s.null == null]
            if not sources:
                continue
            for gpu in (False, True) if split_gpu else (None,):  # all sources share sets
                sets = [d for d in self.source_sets(sources[0])
                        if gpu in (None, METHODS.uses_gpu(SetName.parse(d).fitted))]
                if sets:
                    name = "untrained" if null else "directions"
                    batches[name + ("_gpu" if gpu else "")] = (sets, sources)
        return batches

    def set_specs(self, source: str, sets: list[str]) -> list[dict]:
        """What a find job needs of each set: its name, K ratio and method settings, and
        whether it is fitted twice for its stability (never on an untrained null)."""
        directions = self.directions
        return [{"name": d, "k_ratio": self.k_ratio(source, d),
                 "options": directions.params(d),
                 "stability": directions.refits(d) and not self.sources[source].null}
                for d in sets]

    @property
    def sparse_sets(self) -> list[str]:
        return [d for d in self.directions.sets
                if METHODS.fact(SetName.parse(d).fitted, "dictionary", False)]

    @property
    def shown_dictionary(self) -> str | None:
        """The sparse dictionary the front page shows beside K-means, by a rule fixed
        before the run: figures.dictionary, else the most overcomplete of the sets."""
        from .frontpage import shown_dictionary

        return shown_dictionary(self.sparse_sets, self.figures.dictionary)

    @property
    def zoo_methods(self) -> list[str]:
        """The zoo figure's direction sets: K-means and the sparse dictionaries, at the
        source's K."""
        return [m for m in self.directions.methods
                if m == "kmeans" or (m in METHODS and METHODS.fact(m, "dictionary", False))]

    @property
    def analysis_figures(self) -> list[str]:
        """Figures of the further analyses: the enabled ones, plus II vs sparsity."""
        return list(self.analyses) + ["sparsity"]

    @property
    def has_analyses(self) -> bool:
        """Whether the further analyses run: they read the neurons and K-means."""
        return {"neurons", "kmeans"} <= set(self.directions.methods)

    # paths the rules read
    def pool_store(self, source: str) -> str:
        return f"results/pools/{self.sources[source].pool}.zarr"

    def model_weights(self, source: str) -> str | list:
        """The hub directory of a model's pretrained weights; none for random weights,
        and python/ models load their own."""
        row = self.models[source]
        if row["weights"] == "random" or row["architecture"].startswith("python/"):
            return []
        return f"resources/weights/models/{source}"

    def metric_inputs(self, pool: str | None = None, metrics=None,
                      alpha: bool = False) -> MetricInputs:
        """A job's inputs for ``metrics`` (default: every scoring metric): the torch hub
        folders of those that need pretrained weights; with ``pool``, the pool's
        embedding store under each, where embeddings are cached; with ``alpha``, the IMI
        fit of MIS's alpha, where the IMI branch runs and MIS takes fitted alphas."""
        from .metrics import METRICS

        metrics = self.scoring.metrics if metrics is None else metrics
        embeddings = ({m: f"results/embeddings/{pool}/{m}.zarr" for m in metrics}
                      if pool and self.scoring.cache_embeddings else {})
        fitted = alpha and self.imi and self.scoring.mis["alpha"] == "fitted"
        return MetricInputs({m: f"resources/weights/metrics/{m}" for m in metrics
                             if METRICS.get(m).needs_weights}, embeddings,
                            "results/imi/mis_alpha.csv" if fitted else None)

    def truth_store(self, source: str, layer: str) -> str:
        """The planted feature directions of a source's layer: a synthetic population's,
        or a user network's own."""
        if source in self.synthetic:
            return f"results/brain/{source}/{layer}_ground_truth.zarr"
        return f"results/truth/{source}/{layer}.zarr"

    # targets
    def scores(self, source: str, layers=None, methods=None) -> list[str]:
        """Score tables of a source: every layer and set unless narrowed."""
        return [f"results/scores/{source}/{layer}/{method}.csv"
                for layer in layers or self.sources[source].layers
                for method in methods or self.source_sets(source)]

    def source_figures(self, source: str) -> list[str]:
        out = [f"results/figures/{source}/ii_by_method.png"]
        # a null source serves the net effects; its II figure is enough
        if self.sources[source].null:
            return out
        if self.directions.sweep_methods:
            out.append(f"results/figures/{source}/ii_by_size.png")
        if self.figures.mei_methods:
            out += [f"results/figures/{source}/meis_{layer}.png"
                    for layer in self.sources[source].layers]
        if self.psychophysics.methods:
            out.append(f"results/figures/{source}/psychophysics.png")
        if source in self.planted:
            out.append(f"results/figures/{source}/recovery.png")
        if self.has_analyses:
            out += [f"results/figures/{source}/{a}.png" for a in self.analysis_figures]
        return out

    def claim_analyses(self, analysis: str) -> list[str]:
        """A further analysis' tables for the claims document, where the config runs it
        (on sources with neurons and K-means, as the analysis figures)."""
        if analysis not in self.analyses or not self.has_analyses:
            return []
        return [f"results/analyses/{s}/{layer}/{analysis}.csv"
                for s in self.claim_sources for layer in self.sources[s].layers]

    IMI_FIGURES = ("results/figures/imi/fig2_auc.png", "results/figures/imi/units.png")

    def targets(self) -> list[str]:
        """Everything a full run makes: the default target."""
        return ([f for s in self.sources for f in self.source_figures(s)]
                + ["results/figures/summary.png", "results/figures/calibration.png",
                   "results/RESULTS.md", "results/CLAIMS.md",
                   "results/figures/ii_mis_agreement.png", "results/config.yaml"]
                + (["results/tables/accuracy.csv"] if self.trained else [])
                + [f"results/figures/pooled_{area}.png" for area in self.pooled_areas]
                + (["results/tables/imi_catch_trials.csv"] if self.catch_pools else [])
                + (list(self.IMI_FIGURES) if self.imi else [])
                + (["results/figures/zoo.png"] if self.zoo else []))

    def describe_pools(self, pools) -> str:
        """The pools in a line: kind, file and the settings that say which images."""
        def one(p):
            row = self.pools[p]
            return (f"`{p}` ({row['kind']}"
                    + (f", {Path(row['path']).name}" if "path" in row else "")
                    + "".join(f", {k} {row[k]}" for k in ("n_images", "split", "size")
                              if k in row) + ")")

        return "; ".join(one(p) for p in sorted(pools))

    # the preflight
    def preflight(self, facts, cache_path: str) -> None:
        """Before any job: the raw inputs that exist (archives, image folders, response
        files) and the pool sizes and unit counts that decide whether k, MIS, the
        matched baseline and every direction set's K can work. Checks are cached per
        input. Raises :class:`PreflightError` naming the problem and the fix."""
        from .directions import n_directions
        from .preflight import Cache, check_download, pool_has_classes, pool_size

        cache = Cache(cache_path)
        for section, rows in (("image_pools", self.pools), ("brain", self.brain)):
            for name, row in rows.items():
                for path in data_inputs(row):
                    try:
                        check_download(path, cache)
                    except ValueError as err:
                        raise PreflightError(f"{section}.{name}: {err}") from None
        sizes = {}
        for name, pool in self.pools.items():
            try:
                sizes[name] = pool_size(pool["kind"], pool, cache)
            except (OSError, ValueError) as err:
                raise PreflightError(f"image_pools.{name}: {err}") from None
        for source, row in self.models.items():
            pool = self.pools[row["pool"]]
            if row["accuracy"] and pool_has_classes(pool["kind"], pool) is False:
                raise PreflightError(
                    f"models.{source} asks for its accuracy, but pool {row['pool']} has no "
                    f"class labels: give it images in class folders (<class>/<image>) or "
                    f"named by ImageNet wnid, or drop accuracy: true")
        needs = self.scoring.pool_requirements()
        for name in {s.pool for s in self.sources.values()}:  # the scored pools
            for setting, n in needs.items():
                if sizes[name] is not None and sizes[name] < n:
                    raise PreflightError(
                        f"image pool {name} has {sizes[name]} images; {setting} needs at "
                        f"least {n}: use a larger pool or lower the setting")
        for source, info in self.sources.items():
            for layer, n in self._widths(source, facts, sizes=sizes, cache=cache).items():
                for d in self.source_sets(source):
                    try:
                        n_directions(self.k_ratio(source, d), n, method=d,
                                     where=f" on {source} {layer}", n_images=sizes[info.pool])
                    except ValueError as err:
                        raise PreflightError(err) from None

    def _widths(self, source: str, facts, *, sizes: dict, cache) -> dict:
        """A source's units per layer, where known before its jobs run."""
        from .preflight import response_units

        info = self.sources[source]
        if source in self.models:
            row = self.models[source]
            size = row["input_size"] or self.pools[info.pool]["size"]
            try:
                return facts.layer_widths(row["architecture"], row["layers"], size=size,
                                          layout=row.get("layout")) or {}
            except ValueError as err:
                raise PreflightError(f"models.{source}: {err}") from None
        row = self.brain[source]
        if row["adapter"] == "synthetic":
            return {info.layers[0]: row["n_neurons"]}
        try:
            units = response_units(row, sizes[info.pool], pool=info.pool, cache=cache)
        except (OSError, ValueError) as err:
            raise PreflightError(f"brain.{source}: {err}") from None
        return {info.layers[0]: units} if units else {}
