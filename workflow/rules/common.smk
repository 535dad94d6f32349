# Config validation and the helpers that map config rows to paths.
# Checks that need torch (layer names, weight tags) run in the main process only,
# so jobs start fast.

import sys
from pathlib import Path
from types import SimpleNamespace

from superposition.configcheck import validate_config
from superposition.devices import job_device, job_gpus
from superposition.directions import METHODS  # the registry, every method registered
from superposition.frontpage import shown_dictionary
from superposition.methods import SetName
from superposition.pipeline.analyses import ANALYSES as ANALYSIS_REGISTRY
from superposition.metrics import METRICS
from superposition.models import ArchitectureFacts, model_row_problems
from superposition.preflight import shared_cache
from superposition.settings import Directions, Figures, Imi, Psychophysics, Scoring


def config_error(message):
    raise ValueError(f"config error: {message}")


def _validate():
    """The config checked in plain Python (superposition.configcheck), its schema's
    defaults filled in."""
    import yaml

    schema = yaml.safe_load(open(workflow.source_path("../schemas/config.schema.yaml")))
    validate_config(config, schema)


_validate()


def _add_untrained_nulls(models):
    """A source <name>_untrained, the same row with random weights, for every model that
    declares untrained_null; returns model -> its null source."""
    nulls = {}
    for name, row in list(models.items()):
        if row.get("untrained_null"):
            null = f"{name}_untrained"
            if null in models:
                config_error(
                    f"models.{name}.untrained_null adds the source {null!r}, which models "
                    f"already names: remove that row or the untrained_null flag"
                )
            models[null] = row | {
                "weights": "random",
                "untrained_null": False,
                "accuracy": False,
            }
            nulls[name] = null
    return nulls


def _expand_zoo():
    """Every zoo entry's model rows, added to models; source -> its entry and architecture."""
    from superposition.zoo import expand_zoo

    try:
        rows, index = expand_zoo(config.get("zoo", {}))
    except (KeyError, ValueError) as err:
        config_error(err)
    both = set(rows) & set(config["models"])
    if both:
        config_error(f"zoo sources {sorted(both)} are also named in models: rename one")
    config["models"].update(rows)
    if workflow.is_main_process:
        for entry in config.get("zoo", {}):
            names = [i["architecture"] for i in index.values() if i["entry"] == entry]
            print(
                f"zoo {entry}: {len(names)} models: {', '.join(names)}", file=sys.stderr
            )
    return index


def _resolve_layers(models):
    """Layers given as stages or depth fractions, as layer names, in place; model ->
    {layer: relative depth}. Resolved once (it builds the network) and cached for the
    jobs, so a job's start imports no torch."""
    depths = {}
    for name, row in models.items():
        spec = row["layers"]
        named = not isinstance(spec, str) and all(isinstance(x, str) for x in spec)
        if named and name not in ZOO:
            continue  # named layers: nothing to resolve; zoo rows need their depths
        try:
            layers, depths[name] = FACTS.resolve_layers(row["architecture"], spec)
        except (KeyError, ValueError) as err:
            config_error(f"models.{name}: {err}")
        row["layers"] = layers
    return depths


# layer names, stages, widths and weight tags: asked of the networks once per install
FACTS = ArchitectureFacts(shared_cache("architectures"))
ZOO = _expand_zoo()  # zoo source -> its entry and architecture
DEPTHS = _resolve_layers(config["models"])  # model -> {layer: relative depth}
UNTRAINED = _add_untrained_nulls(config["models"])  # model -> its untrained null source
POOLS_CFG = config["image_pools"]
# pools of the IMI catch-trial units' exemplars: a positive control, not scored by sources
CATCH_POOLS = [name for name, row in POOLS_CFG.items() if row["kind"] == "imi_stimuli"]
MODELS = config["models"]
# trained models, whose accuracy on a labelled pool checks that their weights loaded
TRAINED = [name for name, row in MODELS.items() if row["weights"] != "random"]
BRAIN = config["brain"]
DIRECTIONS = Directions.from_config(config["directions"])
SCORING = Scoring.from_config(config["scoring"])  # rules pass it whole
PSYCHO = Psychophysics.from_config(config["psychophysics"])  # rules pass it whole
FIGURES = Figures.from_config(config["figures"])
# the IMI branch runs when the config has its section
IMI = Imi.from_config(config.get("imi"))
METHOD_NAMES = list(DIRECTIONS.methods)
SWEEP_METHODS = DIRECTIONS.sweep_methods
# Direction sets: each method at the source's K, plus "<method>@<ratio>" for the K sweeps
DIRECTION_SETS = DIRECTIONS.sets
ANALYSES = config.get("analyses", {})
# figures of the further analyses: the enabled ones, plus II vs sparsity from the scores
ANALYSIS_FIGURES = list(ANALYSES) + ["sparsity"]
ALL_METRICS = SCORING.metrics
IMI_METRICS = list(IMI.metrics or ALL_METRICS) if IMI else []


if workflow.is_main_process:  # layer names and weight tags, against the architectures
    problems = model_row_problems(config, FACTS)
    if problems:
        config_error("\n  ".join(problems))


SOURCES = {
    name: {
        "kind": "model",
        "pool": row["pool"],
        "layers": row["layers"],
        "k_ratio": row.get("k_ratio", DIRECTIONS.k_ratio),
        "null": name in UNTRAINED.values(),
    }
    for name, row in MODELS.items()
} | {
    name: {
        "kind": row["adapter"],
        "pool": row["pool"],
        "layers": [row["area"]],
        "k_ratio": row.get("k_ratio", DIRECTIONS.k_ratio),
        "null": False,
    }
    for name, row in BRAIN.items()
}
SYNTHETIC = [name for name, row in BRAIN.items() if row["adapter"] == "synthetic"]


def _planted_models():
    """User python/ networks that expose planted_directions: model -> its planted layers."""
    from superposition.models import planted_layers

    found = {
        name: planted_layers(row["architecture"], row["layers"])
        for name, row in MODELS.items()
        if row["architecture"].startswith("python/")
    }
    return {name: layers for name, layers in found.items() if layers}


PLANTED_MODELS = _planted_models()
# sources with ground truth, and their planted layers: the recovery tables and figures
PLANTED = {name: SOURCES[name]["layers"] for name in SYNTHETIC} | PLANTED_MODELS
RECORDED = [name for name, row in BRAIN.items() if row["adapter"] != "synthetic"]


def _pooled_sessions():
    """The recorded sessions of every area recorded in two or more, each with its area and
    animal (a session without one is its own animal): pooled across sessions and animals,
    where the run has the neurons, K-means and its shuffled-fit null to pool."""
    if not {"neurons", "kmeans", "kmeans_shuffled"} <= set(DIRECTION_SETS):
        return {}
    areas = {}
    for name in RECORDED:
        areas.setdefault(BRAIN[name]["area"], []).append(name)
    return {
        name: {"area": area, "animal": BRAIN[name].get("animal", name)}
        for area, names in areas.items()
        if len(names) > 1
        for name in names
    }


POOLED = _pooled_sessions()  # source -> its area and animal
POOLED_AREAS = sorted({info["area"] for info in POOLED.values()})


def preflight_error(message):
    raise ValueError(f"preflight: {message} (nothing was run; every output is kept)")


def _preflight():
    """Before any job: the raw inputs that exist (archives, image folders, response
    files) and the pool sizes and unit counts that decide whether k, MIS, the matched
    baseline and every direction set's K can work. Checks are cached per input."""
    from superposition.directions import n_directions
    from superposition.preflight import (
        Cache,
        check_download,
        pool_has_classes,
        pool_size,
        response_units,
    )

    cache = Cache(".snakemake/superposition/preflight.json")
    sizes = {}
    for section, rows in (("image_pools", POOLS_CFG), ("brain", BRAIN)):
        for name, row in rows.items():
            for path in data_inputs(row):
                try:
                    check_download(path, cache)
                except ValueError as err:
                    preflight_error(f"{section}.{name}: {err}")
    for name, pool in POOLS_CFG.items():
        try:
            sizes[name] = pool_size(pool["kind"], pool, cache)
        except (OSError, ValueError) as err:
            preflight_error(f"image_pools.{name}: {err}")
    for source, row in MODELS.items():
        pool = POOLS_CFG[row["pool"]]
        if row["accuracy"] and pool_has_classes(pool["kind"], pool) is False:
            preflight_error(
                f"models.{source} asks for its accuracy, but pool {row['pool']} has no "
                f"class labels: give it images in class folders (<class>/<image>) or named "
                f"by ImageNet wnid, or drop accuracy: true"
            )
    needs = SCORING.pool_requirements()
    for name in {row["pool"] for row in SOURCES.values()}:  # the scored pools
        for setting, n in needs.items():
            if sizes[name] is not None and sizes[name] < n:
                preflight_error(
                    f"image pool {name} has {sizes[name]} images; {setting} needs at least "
                    f"{n}: use a larger pool or lower the setting"
                )
    for source, info in SOURCES.items():
        pool = info["pool"]
        if source in MODELS:
            row = MODELS[source]
            size = row["input_size"] or POOLS_CFG[pool]["size"]
            try:
                widths = FACTS.layer_widths(
                    row["architecture"], row["layers"], size, row.get("layout")
                )
            except ValueError as err:
                preflight_error(f"models.{source}: {err}")
            widths = widths or {}
        elif BRAIN[source]["adapter"] == "synthetic":
            widths = {info["layers"][0]: BRAIN[source]["n_neurons"]}
        else:
            try:
                units = response_units(BRAIN[source], sizes[pool], pool, cache)
            except (OSError, ValueError) as err:
                preflight_error(f"brain.{source}: {err}")
            widths = {info["layers"][0]: units} if units else {}
        for layer, n in widths.items():
            for d in source_sets(source):
                ratio = k_ratio(SimpleNamespace(source=source, method=d))
                try:
                    n_directions(ratio, n, d, f" on {source} {layer}", sizes[pool])
                except ValueError as err:
                    preflight_error(err)


def _check_device():
    """A cuda device where jobs run here must exist: checked as the run starts (a
    cluster's login node has no GPU; its jobs run where there is one)."""
    import torch

    if (
        workflow.local_exec
        and config["device"].startswith("cuda")
        and not torch.cuda.is_available()
    ):
        raise SystemExit(
            f"device {config['device']!r} is set but this machine has no CUDA: "
            f"set device: auto (CUDA where there is one) or cpu"
        )


def gpus(uses):
    """resources: gpu=gpus(uses). One GPU where the job's work runs on one, uses(wildcards),
    and the device is not cpu; none otherwise. The SLURM profile's partition file sends
    every job that asks for one to the GPU partition."""
    return lambda wc: job_gpus(config["device"], uses(wc))


def device(uses):
    """params: device=device(uses), the same answer: the configured device for a job
    that asked for a GPU, the CPU for every other job."""
    return lambda wc: job_device(config["device"], uses(wc))


# What runs on a GPU, from the registries' facts: a model's forward pass, a metric with a
# network, a method fitted in torch. A score job that reads cached embeddings runs no
# network: its distances are small work for the CPU.
def model_on_gpu(wc):
    return True


def all_metrics_on_gpu(wc):
    return any(METRICS.uses_gpu(m) for m in ALL_METRICS)


def main_metric_on_gpu(wc):  # the metric of the psychophysics and the analyses
    return not SCORING.cache_embeddings and METRICS.uses_gpu(SCORING.metric)


def metric_on_gpu(wc):
    return METRICS.uses_gpu(wc.metric)


def method_on_gpu(wc):
    return METHODS.uses_gpu(fitted_method(wc.method))


def scoring_on_gpu(wc):
    return not SCORING.cache_embeddings and all_metrics_on_gpu(wc)


def main_metric_inputs(wc):
    """What a job that scores with the primary metric alone reads: the source's pool, and
    the metric's cached embeddings or else its weights."""
    return (
        {"pool": pool_zarr(wc.source)}
        | metric_weights([SCORING.metric])
        | pool_embedding_stores(wc, [SCORING.metric])
    )


def alternatives(names):
    """A wildcard regex matching exactly these names."""
    import re

    return "|".join(re.escape(n) for n in names) or "(?!)"


wildcard_constraints:
    source=alternatives(SOURCES),
    pool=alternatives(POOLS_CFG),
    method=alternatives(DIRECTION_SETS),
    metric=alternatives(METRICS.names()),
    layer="[^/]+",


def pool_zarr(source):
    return f"results/pools/{SOURCES[source]['pool']}.zarr"


def pool_embedding_stores(wildcards, metrics=ALL_METRICS):
    """The pool (of the source, or the pool wildcard) embedded under each of ``metrics``
    (every scoring metric), where embeddings are cached."""
    if not SCORING.cache_embeddings:
        return {}
    named = dict(wildcards.items())
    pool = SOURCES[named["source"]]["pool"] if "source" in named else named["pool"]
    return {f"emb_{m}": f"results/embeddings/{pool}/{m}.zarr" for m in metrics}


SCORED_POOLS = sorted({info["pool"] for info in SOURCES.values()})


def fitted_alpha():
    """The IMI fit of every IMI metric's MIS alpha, where the IMI branch runs and MIS
    takes fitted alphas."""
    if IMI and SCORING.mis["alpha"] == "fitted":
        return {"mis_alpha": "results/imi/mis_alpha.csv"}
    return {}


def metric_weights(metrics=ALL_METRICS):
    """Torch hub directories of the metrics in use that need pretrained weights."""
    return {
        m: f"resources/weights/metrics/{m}"
        for m in metrics
        if METRICS.get(m).needs_weights
    }


def model_weights(wildcards):
    """The hub directory of a model's pretrained weights; python/ models load their own."""
    row = MODELS[wildcards.source]
    if row["weights"] == "random" or row["architecture"].startswith("python/"):
        return []
    return f"resources/weights/models/{wildcards.source}"


def truth_store(source, layer):
    """The planted feature directions of a source's layer: a synthetic population's, or
    a user network's own."""
    if source in SYNTHETIC:
        return f"results/brain/{source}/{layer}_ground_truth.zarr"
    return f"results/truth/{source}/{layer}.zarr"


def base_method(direction_set):
    """The method of a direction set name: kmeans@2 -> kmeans, kmeans_shuffled@2 ->
    kmeans_shuffled."""
    return SetName.parse(direction_set).base


def fitted_method(direction_set):
    """The method a direction set fits: kmeans_shuffled@2 -> kmeans."""
    return SetName.parse(direction_set).fitted


def k_ratio(wildcards):
    """K / number of units for a direction set: its sweep ratio, else the source's."""
    ratio = SetName.parse(wildcards.method).ratio
    return ratio if ratio is not None else SOURCES[wildcards.source]["k_ratio"]


DATA_KEYS = ("path", "expdesign", "roi")


def data_inputs(row):
    """The files or folders a config row reads, so Snakemake tracks (or downloads) them."""
    return [row[key] for key in DATA_KEYS if key in row]


def source_sets(source):
    """The direction sets of a source: all, less the shuffled-fit nulls on a null source."""
    if SOURCES[source]["null"]:
        return [d for d in DIRECTION_SETS if not SetName.parse(d).shuffled]
    return DIRECTION_SETS


def set_batches(split_gpu):
    """The direction sets that one job per layer fits or scores together: every set of
    the layer, its shuffled-fit nulls with the rest, and, with ``split_gpu``, the sets
    whose method runs on a GPU apart from the others, so that only their job holds one.
    A null source has no shuffled fits, so its jobs are rules of their own
    (``*_untrained``). Rule suffix -> (its sets, the sources it serves)."""
    batches = {}
    for null in (False, True):
        sources = [s for s in SOURCES if SOURCES[s]["null"] == null]
        if not sources:
            continue
        # every source of the kind has the same sets
        for gpu in (False, True) if split_gpu else (None,):
            sets = [
                d
                for d in source_sets(sources[0])
                if gpu in (None, METHODS.uses_gpu(fitted_method(d)))
            ]
            if sets:
                name = "untrained" if null else "directions"
                batches[name + ("_gpu" if gpu else "")] = (sets, sources)
    return batches


def set_specs(source, sets):
    """What a find job needs of each set: its name, K ratio and method settings, and
    whether it is fitted twice for its stability (never on an untrained null)."""
    return [
        {
            "name": d,
            "k_ratio": k_ratio(SimpleNamespace(source=source, method=d)),
            "options": DIRECTIONS.params(d),
            "stability": DIRECTIONS.refits(d) and not SOURCES[source]["null"],
        }
        for d in sets
    ]


def scores(source, layers=None, methods=None):
    return expand(
        "results/scores/{source}/{layer}/{method}.csv",
        source=source,
        layer=layers or SOURCES[source]["layers"],
        method=methods or source_sets(source),
    )


def source_figures(source):
    out = [f"results/figures/{source}/ii_by_method.png"]
    # a null source serves the net effects; its II figure is enough
    if SOURCES[source]["null"]:
        return out
    if SWEEP_METHODS:
        out.append(f"results/figures/{source}/ii_by_size.png")
    if FIGURES.mei_methods:
        out += expand(
            "results/figures/{source}/meis_{layer}.png",
            source=source,
            layer=SOURCES[source]["layers"],
        )
    if PSYCHO.methods:
        out.append(f"results/figures/{source}/psychophysics.png")
    if source in PLANTED:
        out.append(f"results/figures/{source}/recovery.png")
    if "neurons" in METHOD_NAMES and "kmeans" in METHOD_NAMES:
        out += expand(
            "results/figures/{source}/{analysis}.png",
            source=source,
            analysis=ANALYSIS_FIGURES,
        )
    return out


def analysis_tables(wildcards):
    """Inputs of a source's analysis figures: analysis -> its table for every layer (the
    scores of neurons and K-means for II vs sparsity)."""
    layers = SOURCES[wildcards.source]["layers"]
    tables = {
        a: expand(
            "results/analyses/{source}/{layer}/{analysis}.csv",
            source=wildcards.source,
            layer=layers,
            analysis=a,
        )
        for a in ANALYSES
    }
    return tables | {
        "sparsity": scores(wildcards.source, layers, ["neurons", "kmeans"])
    }


def further_analysis_inputs(wc):
    """The primary metric's inputs, and the direction sets that the enabled analyses
    read (the registry's facts): the neurons' score table, the K-means store."""
    reads = {d for a in ANALYSES for d in ANALYSIS_REGISTRY.fact(a, "reads", ())}
    where = {
        "neurons": f"results/scores/{wc.source}/{wc.layer}/neurons.csv",
        "kmeans": f"results/directions/{wc.source}/{wc.layer}/kmeans.zarr",
    }
    return main_metric_inputs(wc) | {d: where[d] for d in reads}


IMI_FIGURES = ["results/figures/imi/fig2_auc.png", "results/figures/imi/units.png"]
# the zoo figure's direction sets: K-means and the sparse dictionaries, at the source's K
ZOO_METHODS = [
    m
    for m in METHOD_NAMES
    if m == "kmeans" or (m in METHODS and METHODS.fact(m, "dictionary", False))
]


# the sparse dictionary the front page shows beside K-means, by a rule fixed before the
# run: figures.dictionary, else the most overcomplete of the direction sets
SPARSE_SETS = [
    d for d in DIRECTION_SETS if METHODS.fact(fitted_method(d), "dictionary", False)
]
SHOWN_DICTIONARY = shown_dictionary(SPARSE_SETS, FIGURES.dictionary)


# the sources whose numbers the claims document sets beside the paper's: every source
# but the untrained nulls
CLAIM_SOURCES = [s for s in SOURCES if not SOURCES[s]["null"]]


def describe_pools(pools):
    """The pools in a line: kind, file and the settings that say which images."""
    return "; ".join(
        f"`{p}` ({POOLS_CFG[p]['kind']}"
        + (f", {Path(POOLS_CFG[p]['path']).name}" if "path" in POOLS_CFG[p] else "")
        + "".join(
            f", {k} {POOLS_CFG[p][k]}"
            for k in ("n_images", "split", "size")
            if k in POOLS_CFG[p]
        )
        + ")"
        for p in sorted(pools)
    )


def claim_analyses(analysis):
    """A further analysis' tables for the claims document, where the config runs it (on
    sources with neurons and K-means, as the analysis figures)."""
    if analysis not in ANALYSES or not {"neurons", "kmeans"} <= set(METHOD_NAMES):
        return []
    return [
        f"results/analyses/{s}/{layer}/{analysis}.csv"
        for s in CLAIM_SOURCES
        for layer in SOURCES[s]["layers"]
    ]


def all_figures():
    return (
        [f for s in SOURCES for f in source_figures(s)]
        + [
            "results/figures/summary.png",
            "results/figures/calibration.png",
            "results/RESULTS.md",
            "results/CLAIMS.md",
            "results/figures/ii_mis_agreement.png",
            "results/config.yaml",
        ]
        + (["results/tables/accuracy.csv"] if TRAINED else [])
        + expand("results/figures/pooled_{area}.png", area=POOLED_AREAS)
        + (["results/tables/imi_catch_trials.csv"] if CATCH_POOLS else [])
        + (IMI_FIGURES if IMI else [])
        + (["results/figures/zoo.png"] if ZOO else [])
    )


if workflow.is_main_process:
    _preflight()


onstart:
    _check_device()
