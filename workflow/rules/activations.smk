# Stage 2: activations -> one (image x unit) Zarr array per model layer.


rule cache_activations:
    input:
        pool=lambda wc: pool_zarr(wc.source),
        weights=model_weights,
    output:
        directory("results/responses/{source}/{layer}.zarr"),
    log:
        "logs/cache_activations/{source}/{layer}.log",
    wildcard_constraints:
        source=alternatives(MODELS),
    conda:
        "../../envs/torch.yaml"
    resources:
        gpu=1,
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="2h",
    params:
        architecture=lambda wc: MODELS[wc.source]["architecture"],
        weights_tag=lambda wc: MODELS[wc.source]["weights"],
        statistic=lambda wc: MODELS[wc.source].get("statistic", "centre"),
        batch_size=lambda wc: MODELS[wc.source].get("batch_size", 64),
        input_size=lambda wc: MODELS[wc.source].get("input_size"),
        device=config["device"],
        seed=config["seed"],
    script:
        "../../scripts/cache_activations.py"
