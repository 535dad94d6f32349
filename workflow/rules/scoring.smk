# Stage 4: the Interpretability Index of every unit and direction, with the
# low-level control metrics, and the random-image chance level of each pool.


rule score_directions:
    input:
        unpack(lambda wc: {"pool": pool_zarr(wc.source)} | metric_weights()),
        directions="results/directions/{source}/{layer}/{method}.zarr",
    output:
        "results/scores/{source}/{layer}/{method}.csv",
    log:
        "logs/score_directions/{source}/{layer}/{method}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        gpu=1,
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="1h",
    params:
        metrics=ALL_METRICS,
        k=SCORING["k"],
        device=config["device"],
        metric_size=SCORING.get("metric_size"),
    script:
        "../../scripts/score_directions.py"


rule random_baseline:
    input:
        unpack(lambda wc: metric_weights()),
        pool="results/pools/{pool}.zarr",
    output:
        "results/baselines/{pool}.csv",
    log:
        "logs/random_baseline/{pool}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        gpu=1,
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="30m",
    params:
        metrics=ALL_METRICS,
        k=SCORING["k"],
        n_sets=SCORING.get("n_random", 500),
        seed=config["seed"],
        device=config["device"],
        metric_size=SCORING.get("metric_size"),
    script:
        "../../scripts/random_baseline.py"
