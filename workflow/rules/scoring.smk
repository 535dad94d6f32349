# Stage 4: the Interpretability Index and the Machine Interpretability Score of
# every unit and direction, and the II of its low-level shadows (the bland-image
# control), with the low-level control metrics; the random-image chance level of
# each pool; and every score checked on known-answer units built from each pool.


rule image_statistics:
    input:
        "results/pools/{pool}.zarr",
    output:
        "results/pools/{pool}.statistics.csv",
    log:
        "logs/image_statistics/{pool}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime="1h",
    script:
        "../../scripts/image_statistics.py"


rule embed_pool:
    """The pool embedded once under every scoring metric: one store each."""
    input:
        metric_inputs=metric_files(pool=False),
        pool="results/pools/{pool}.zarr",
    output:
        [directory(f"results/embeddings/{{pool}}/{m}.zarr") for m in ALL_METRICS],
    log:
        "logs/embed_pool/{pool}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        **gpu_request(all_metrics_on_gpu),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="2h",
    params:
        metric_inputs=metric_inputs(pool=False),
        metrics=ALL_METRICS,
        device=device(all_metrics_on_gpu),
        metric_size=SCORING.metric_size,
    script:
        "../../scripts/embed_pool.py"


# One job per layer scores a batch of its sets: the pool, its statistics and its
# metrics are loaded once for all of them.
for batch, (sets, sources) in set_batches(split_gpu=False).items():

    rule:
        name:
            f"score_{batch}"
        input:
            metric_inputs=metric_files(alpha=True),
            pool=lambda wc: pool_zarr(wc.source),
            directions=[
                f"results/directions/{{source}}/{{layer}}/{d}.zarr" for d in sets
            ],
            statistics=lambda wc: pool_zarr(wc.source).replace(
                ".zarr", ".statistics.csv"
            ),
        output:
            [f"results/scores/{{source}}/{{layer}}/{d}.csv" for d in sets],
        log:
            f"logs/score_{batch}/{{source}}/{{layer}}.log",
        wildcard_constraints:
            source=alternatives(sources),
        conda:
            "../../envs/torch.yaml"
        resources:
            **gpu_request(scoring_on_gpu),
            mem_mb=lambda wc, attempt: 8000 * attempt,
            runtime="2h",
        params:
            metric_inputs=metric_inputs(alpha=True),
            scoring=SCORING,
            seed=SEED,
            device=device(scoring_on_gpu),
        script:
            "../../scripts/score_directions.py"


rule random_baseline:
    input:
        metric_inputs=metric_files(),
        pool="results/pools/{pool}.zarr",
    output:
        "results/baselines/{pool}.csv",
    log:
        "logs/random_baseline/{pool}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        **gpu_request(scoring_on_gpu),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="30m",
    params:
        metric_inputs=metric_inputs(),
        scoring=SCORING,
        seed=SEED,
        device=device(scoring_on_gpu),
    script:
        "../../scripts/random_baseline.py"


rule calibrate:
    input:
        metric_inputs=metric_files(alpha=True),
        pool="results/pools/{pool}.zarr",
        statistics="results/pools/{pool}.statistics.csv",
    output:
        "results/calibration/{pool}.csv",
    log:
        "logs/calibrate/{pool}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        **gpu_request(scoring_on_gpu),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="1h",
    params:
        metric_inputs=metric_inputs(alpha=True),
        scoring=SCORING,
        seed=SEED,
        device=device(scoring_on_gpu),
    script:
        "../../scripts/calibrate.py"


rule figure_calibration:
    input:
        expand("results/calibration/{pool}.csv", pool=SCORED_POOLS),
    output:
        table=report(
            "results/tables/calibration.csv",
            caption="../report/calibration.rst",
            category="Calibration",
            labels={"table": "every score on known-answer units"},
        ),
        figure=report(
            "results/figures/calibration.png",
            caption="../report/calibration.rst",
            category="Calibration",
            labels={"figure": "every score on known-answer units"},
        ),
    log:
        "logs/figure_calibration/calibration.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        settings=SCORING.calibration,
        lowlevel_metrics=[m for m in ALL_METRICS if METRICS.fact(m, "lowlevel", False)],
    script:
        "../../scripts/figure_calibration.py"
