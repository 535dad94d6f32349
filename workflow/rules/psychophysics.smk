# Stage 5: in-silico 2-AFC psychophysics (IMI design) at several difficulties, one job
# per layer for the configured direction sets.


if PSYCHO.methods:

    rule psychophysics:
        input:
            metric_inputs=metric_files([SCORING.metric]),
            pool=lambda wc: pool_zarr(wc.source),
            directions=[
                f"results/directions/{{source}}/{{layer}}/{d}.zarr"
                for d in PSYCHO.methods
            ],
        output:
            [
                f"results/psychophysics/{{source}}/{{layer}}/{d}.csv"
                for d in PSYCHO.methods
            ],
        log:
            "logs/psychophysics/{source}/{layer}.log",
        conda:
            "../../envs/torch.yaml"
        resources:
            **gpu_request(main_metric_on_gpu),
            mem_mb=lambda wc, attempt: 8000 * attempt,
            runtime="1h",
        params:
            metric_inputs=metric_inputs([SCORING.metric]),
            psychophysics=PSYCHO,
            scoring=SCORING,
            seed=SEED,
            device=device(main_metric_on_gpu),
        script:
            "../../scripts/psychophysics.py"
