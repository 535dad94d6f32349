# Stage 2 for brains: neural datasets -> the same (image x unit) layout as models;
# and stage 6's recovery of planted features (synthetic populations, user networks).


rule synthetic_population:
    input:
        pool=lambda wc: pool_zarr(wc.source),
    output:
        responses=directory("results/responses/{source}/{layer}.zarr"),
        truth=directory("results/brain/{source}/{layer}_ground_truth.zarr"),
    log:
        "logs/synthetic_population/{source}/{layer}.log",
    wildcard_constraints:
        source=alternatives(SYNTHETIC),
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime="10m",
    params:
        settings=lambda wc: PopulationSettings.from_row(BRAIN[wc.source].options),
        seed=SEED,
    script:
        "../../scripts/synthetic_population.py"


rule ingest_recording:
    input:
        pool=lambda wc: pool_zarr(wc.source),
        recording=lambda wc: data_inputs(BRAIN[wc.source].options),
    output:
        directory("results/responses/{source}/{layer}.zarr"),
    log:
        "logs/ingest_recording/{source}/{layer}.log",
    wildcard_constraints:
        source=alternatives(RECORDED),
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime="30m",
    params:
        recording=lambda wc: BRAIN[wc.source],
    script:
        "../../scripts/ingest_recording.py"


rule download_dataset:
    output:
        "resources/datasets/{dataset}/{file}",
    log:
        "logs/download_dataset/{dataset}/{file}.log",
    wildcard_constraints:
        dataset="[^/]+",
        file=".+",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        base_url=lambda wc: PLAN.config.get("downloads", {}).get(wc.dataset),
    script:
        "../../scripts/download_dataset.py"


rule model_ground_truth:
    """A user network's own planted features (its planted_directions) at one layer."""
    input:
        weights=model_weights,
        responses="results/responses/{source}/{layer}.zarr",
    output:
        directory("results/truth/{source}/{layer}.zarr"),
    log:
        "logs/model_ground_truth/{source}/{layer}.log",
    wildcard_constraints:
        source=alternatives(PLANTED_MODELS),
    conda:
        "../../envs/torch.yaml"
    params:
        model=lambda wc: MODELS[wc.source],
        seed=SEED,
    script:
        "../../scripts/model_ground_truth.py"


rule ground_truth_recovery:
    input:
        directions=lambda wc: expand(
            "results/directions/{{source}}/{layer}/{method}.zarr",
            layer=PLANTED[wc.source],
            method=DIRECTION_SETS,
        ),
        truth=lambda wc: [truth_store(wc.source, layer) for layer in PLANTED[wc.source]],
    output:
        "results/recovery/{source}.csv",
    log:
        "logs/ground_truth_recovery/{source}.log",
    wildcard_constraints:
        source=alternatives(PLANTED),
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        layers=lambda wc: PLANTED[wc.source],
    script:
        "../../scripts/ground_truth_recovery.py"


if POOLED:

    rule pooled_effects:
        """Every area recorded in several sessions: one verdict across sessions and
        animals (a hierarchical bootstrap), each session's result beside it."""
        input:
            scores=[f for s in POOLED for f in scores(s)],
        output:
            table=report(
                "results/tables/pooled_effects.csv",
                caption="../report/pooled.rst",
                category="Brains - sessions and animals pooled",
                labels={"table": "net effects per session and pooled"},
            ),
            figures=report(
                expand("results/figures/pooled_{area}.png", area=POOLED_AREAS),
                caption="../report/pooled.rst",
                category="Brains - sessions and animals pooled",
                labels={"figure": "sessions and the pooled verdict, per area"},
            ),
        log:
            "logs/pooled_effects/pooled.log",
        localrule: True
        conda:
            "../../envs/analysis.yaml"
        params:
            metric=SCORING.metric,
            sessions=POOLED,
            areas=POOLED_AREAS,
        script:
            "../../scripts/pooled_effects.py"
