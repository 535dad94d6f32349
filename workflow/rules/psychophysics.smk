# Stage 5: in-silico 2-AFC psychophysics (IMI design) at several difficulties.


rule psychophysics:
    input:
        unpack(lambda wc: {"pool": pool_zarr(wc.source)} | metric_weights()),
        directions="results/directions/{source}/{layer}/{method}.zarr",
    output:
        "results/psychophysics/{source}/{layer}/{method}.csv",
    log:
        "logs/psychophysics/{source}/{layer}/{method}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        gpu=gpus(main_metric_on_gpu),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="1h",
    params:
        metric=SCORING.metric,
        n_references=PSYCHO["n_references"],
        quantiles=PSYCHO["quantiles"],
        n_trials=PSYCHO["n_trials"],
        band=PSYCHO["band"],
        pooling=PSYCHO["pooling"],
        seed=config["seed"],
        device=device(main_metric_on_gpu),
        metric_size=SCORING.metric_size,
    script:
        "../../scripts/psychophysics.py"
