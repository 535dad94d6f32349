# Stage 5: in-silico 2-AFC psychophysics (IMI design) at several difficulties, one job
# per layer for the configured direction sets.


if PSYCHO.methods:

    rule psychophysics:
        input:
            unpack(main_metric_inputs),
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
            psychophysics=PSYCHO,
            scoring=SCORING,
            seed=SEED,
            device=device(main_metric_on_gpu),
        script:
            "../../scripts/psychophysics.py"
