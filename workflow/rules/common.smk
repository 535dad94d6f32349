# The Snakemake glue around the run's plan (superposition.plan): the config validated,
# the plan built once, its parts named for the rules, and the input functions that read
# wildcards. Checks that need torch (layer names, weight tags) run in the main process
# only, so jobs start fast.

import sys

from superposition.configcheck import validate_config
from superposition.devices import job_device, job_gpu_request
from superposition.metrics import METRICS
from superposition.models import ArchitectureFacts, model_row_problems
from superposition.plan import Plan, PlanError, PreflightError, data_inputs
from superposition.preflight import shared_cache
from superposition.synthetic import PopulationSettings


def config_error(message):
    raise ValueError(f"config error: {message}")


def _plan():
    """The config checked in plain Python (superposition.configcheck), a copy with its
    schema's defaults filled in; then the run's plan, and its model rows checked against the
    architectures in the main process. The plan never edits the config; the defaults
    alone go back into Snakemake's, whose values the report's captions read."""
    import yaml

    schema = yaml.safe_load(open(workflow.source_path("../schemas/config.schema.yaml")))
    validated = validate_config(config, schema)
    config.update(validated)
    try:
        plan = Plan.build(validated, FACTS)
    except PlanError as err:
        config_error(err)
    if workflow.is_main_process:
        for entry in plan.config.get("zoo", {}):
            names = [
                i["architecture"] for i in plan.zoo.values() if i["entry"] == entry
            ]
            print(
                f"zoo {entry}: {len(names)} models: {', '.join(names)}", file=sys.stderr
            )
        problems = model_row_problems(plan.config, FACTS)
        if problems:
            config_error("\n  ".join(problems))
    return plan


# layer names, stages, widths and weight tags: asked of the networks once per install
FACTS = ArchitectureFacts(shared_cache("architectures"))
PLAN = _plan()
SEED, DEVICE = PLAN.config["seed"], PLAN.config["device"]
GPU_REQUEST = PLAN.config["gpu_request"]
MODELS, BRAIN, POOLS_CFG = PLAN.model_rows, PLAN.recording_rows, PLAN.pool_rows
SOURCES = PLAN.sources  # name -> Source: pool, layers, K ratio, whether a null
ZOO, DEPTHS, UNTRAINED = PLAN.zoo, PLAN.depths, PLAN.untrained
DIRECTIONS, SCORING, PSYCHO = PLAN.directions, PLAN.scoring, PLAN.psychophysics
FIGURES, IMI = PLAN.figures, PLAN.imi  # rules pass them whole
DIRECTION_SETS = DIRECTIONS.sets  # each method at the source's K, then <method>@<ratio>
ANALYSIS_SETTINGS, ANALYSIS_PLOTS = PLAN.analyses, PLAN.analysis_figures
ALL_METRICS = SCORING.metrics
IMI_METRICS = list(IMI.metrics or ALL_METRICS) if IMI else []
TRAINED, CATCH_POOLS, SCORED_POOLS = PLAN.trained, PLAN.catch_pools, PLAN.scored_pools
SYNTHETIC, RECORDED = PLAN.synthetic, PLAN.recorded
PLANTED_MODELS, PLANTED = PLAN.planted_models, PLAN.planted
POOLED, POOLED_AREAS = PLAN.pooled, PLAN.pooled_areas  # source -> its area and animal
CLAIM_SOURCES, ZOO_METHODS = PLAN.claim_sources, PLAN.zoo_methods
SHOWN_DICTIONARY = PLAN.shown_dictionary
set_batches, set_specs, scores = PLAN.set_batches, PLAN.set_specs, PLAN.scores
claim_analyses, describe_pools, all_figures = (
    PLAN.claim_analyses,
    PLAN.describe_pools,
    PLAN.targets,
)
pool_zarr, truth_store = PLAN.pool_store, PLAN.truth_store


def _check_device():
    """A cuda device where jobs run here must exist: checked as the run starts (a
    cluster's login node has no GPU; its jobs run where there is one)."""
    import torch

    if (
        workflow.local_exec
        and DEVICE.startswith("cuda")
        and not torch.cuda.is_available()
    ):
        raise SystemExit(
            f"device {DEVICE!r} is set but this machine has no CUDA: "
            f"set device: auto (CUDA where there is one) or cpu"
        )


def gpu_request(uses):
    """resources: **gpu_request(uses). One GPU where the job's work runs on one,
    uses(wildcards), and the device is not cpu; none otherwise: the gpu resource, or gres
    with gpu_request: gres. The SLURM profile's partition file sends every job that asks
    for one to the GPU partition."""
    return {
        key: lambda wc, key=key: job_gpu_request(DEVICE, uses(wc), GPU_REQUEST)[key]
        for key in ("gpu", "gres")
    }


def device(uses):
    """params: device=device(uses), the same answer: the configured device for a job
    that asked for a GPU, the CPU for every other job."""
    return lambda wc: job_device(DEVICE, uses(wc))


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


def scoring_on_gpu(wc):
    return not SCORING.cache_embeddings and all_metrics_on_gpu(wc)


def metric_inputs(metrics=None, alpha=False, pool=True):
    """params: metrics=metric_inputs(...), a job's metric inputs (MetricInputs of
    superposition.plan) from its wildcards: the weights of ``metrics`` (every scoring
    metric, a list, or a function of the wildcards), the embeddings of the job's pool (of
    its source or pool wildcard) under them where ``pool``, and MIS's fitted alpha where
    ``alpha``. input: metrics=metric_files(...) names the same files."""

    def of(wc):
        named = dict(wc.items())
        where = (
            SOURCES[named["source"]].pool if "source" in named else named.get("pool")
        )
        chosen = metrics(wc) if callable(metrics) else metrics
        return PLAN.metric_inputs(where if pool else None, chosen, alpha)

    return of


def metric_files(*args, **kwargs):
    of = metric_inputs(*args, **kwargs)
    return lambda wc: of(wc).files()


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


def model_weights(wildcards):
    return PLAN.model_weights(wildcards.source)


def analysis_tables(wildcards):
    """Inputs of a source's analysis figures: analysis -> its table for every layer (the
    scores of neurons and K-means for II vs sparsity)."""
    layers = SOURCES[wildcards.source].layers
    tables = {
        a: [f"results/analyses/{wildcards.source}/{layer}/{a}.csv" for layer in layers]
        for a in ANALYSIS_SETTINGS
    }
    return tables | {
        "sparsity": scores(wildcards.source, layers, ["neurons", "kmeans"])
    }


def further_analysis_inputs(wc):
    """The direction sets that the enabled analyses read (the registry's facts): the
    neurons' score table, the K-means store."""
    from superposition.analyses import ANALYSES as ANALYSIS_REGISTRY

    reads = dict.fromkeys(
        d for a in ANALYSIS_SETTINGS for d in ANALYSIS_REGISTRY.fact(a, "reads", ())
    )
    where = {
        "neurons": f"results/scores/{wc.source}/{wc.layer}/neurons.csv",
        "kmeans": f"results/directions/{wc.source}/{wc.layer}/kmeans.zarr",
    }
    return {d: where[d] for d in reads}


if workflow.is_main_process:
    try:
        PLAN.preflight(FACTS, ".snakemake/superposition/preflight.json")
    except PreflightError as err:
        raise ValueError(
            f"preflight: {err} (nothing was run; every output is kept)"
        ) from None


onstart:
    _check_device()
