# The paper's further analyses (feature synergy, interpolation between directions,
# split re-clustering, semantics of the top images, covariance spectrum,
# sparsity), each per source and layer, and one figure each per source.


rule synergy:
    input:
        unpack(lambda wc: {"pool": pool_zarr(wc.source)} | metric_weights()),
        responses="results/responses/{source}/{layer}.zarr",
        neurons="results/scores/{source}/{layer}/neurons.csv",
    output:
        "results/analyses/{source}/{layer}/synergy.csv",
    log:
        "logs/synergy/{source}/{layer}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        gpu=gpus(main_metric_on_gpu),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="1h",
    params:
        metric=SCORING.metric,
        k=SCORING.k,
        n_pairs=lambda wc: ANALYSES["synergy"]["n_pairs"],
        seed=config["seed"],
        device=device(main_metric_on_gpu),
        metric_size=SCORING.metric_size,
        one_per_group=SCORING.one_per_group,
    script:
        "../../scripts/synergy.py"


rule interpolation:
    input:
        unpack(lambda wc: {"pool": pool_zarr(wc.source)} | metric_weights()),
        responses="results/responses/{source}/{layer}.zarr",
        directions="results/directions/{source}/{layer}/kmeans.zarr",
    output:
        "results/analyses/{source}/{layer}/interpolation.csv",
    log:
        "logs/interpolation/{source}/{layer}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        gpu=gpus(main_metric_on_gpu),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="1h",
    params:
        metric=SCORING.metric,
        k=SCORING.k,
        n_pairs=lambda wc: ANALYSES["interpolation"]["n_pairs"],
        alphas=lambda wc: ANALYSES["interpolation"]["alphas"],
        seed=config["seed"],
        device=device(main_metric_on_gpu),
        metric_size=SCORING.metric_size,
        one_per_group=SCORING.one_per_group,
    script:
        "../../scripts/interpolation.py"


rule split_halves:
    input:
        unpack(lambda wc: {"pool": pool_zarr(wc.source)} | metric_weights()),
        responses="results/responses/{source}/{layer}.zarr",
        neurons="results/scores/{source}/{layer}/neurons.csv",
    output:
        "results/analyses/{source}/{layer}/split.csv",
    log:
        "logs/split_halves/{source}/{layer}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        gpu=gpus(main_metric_on_gpu),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="1h",
    params:
        metric=SCORING.metric,
        k=SCORING.k,
        seed=config["seed"],
        device=device(main_metric_on_gpu),
        metric_size=SCORING.metric_size,
        one_per_group=SCORING.one_per_group,
    script:
        "../../scripts/split_halves.py"


rule semantics:
    input:
        scores=lambda wc: scores(wc.source, [wc.layer]),
        pool=lambda wc: pool_zarr(wc.source),
    output:
        "results/analyses/{source}/{layer}/semantics.csv",
    log:
        "logs/semantics/{source}/{layer}.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime="30m",
    params:
        metric=SCORING.metric,
    script:
        "../../scripts/semantics.py"


rule spectrum:
    input:
        "results/responses/{source}/{layer}.zarr",
    output:
        "results/analyses/{source}/{layer}/spectrum.csv",
    log:
        "logs/spectrum/{source}/{layer}.log",
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime="30m",
    params:
        lo=lambda wc: ANALYSES["spectrum"]["lo"],
        hi=lambda wc: ANALYSES["spectrum"]["hi"],
    script:
        "../../scripts/spectrum.py"


rule figure_analysis:
    input:
        analysis_tables,
    output:
        report(
            "results/figures/{source}/{analysis}.png",
            caption="../report/analysis.rst",
            category="Figs. 6-8 and Sec. 7 - further analyses",
            subcategory="{analysis}",
            labels={"source": "{source}", "analysis": "{analysis}"},
        ),
    log:
        "logs/figure_analysis/{source}/{analysis}.log",
    wildcard_constraints:
        analysis=alternatives(ANALYSIS_FIGURES),
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        metric=SCORING.metric,
        title=lambda wc: f"{wc.source}: {wc.analysis} ({SCORING.metric})",
    script:
        "../../scripts/figure_analysis.py"
