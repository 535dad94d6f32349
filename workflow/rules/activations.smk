# Stage 2: activations -> one (image x unit) Zarr array per model layer, all layers
# of a model from one forward pass.


rule cache_activations:
    input:
        pool=lambda wc: pool_zarr(wc.source),
        weights=model_weights,
    output:
        directory("results/activations/{source}"),
    log:
        "logs/cache_activations/{source}.log",
    wildcard_constraints:
        source=alternatives(MODELS),
    conda:
        "../../envs/torch.yaml"
    threads: 2
    resources:
        **gpu_request(model_on_gpu),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="4h",
    params:
        model=lambda wc: MODELS[wc.source],
        device=device(model_on_gpu),
        seed=SEED,
    script:
        "../../scripts/cache_activations.py"


rule layer_responses:
    """A model layer's store, taken from its model's one-pass cache as hard links
    (no second copy on disk), on the main machine: linking takes milliseconds."""
    input:
        "results/activations/{source}",
    output:
        directory("results/responses/{source}/{layer}.zarr"),
    log:
        "logs/layer_responses/{source}/{layer}.log",
    wildcard_constraints:
        source=alternatives(MODELS),
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/layer_responses.py"


rule accuracy_table:
    """Top-1 accuracy of every trained classifier on its labelled pool, measured in the
    activation pass: the check that the weights loaded right."""
    input:
        expand("results/activations/{source}", source=TRAINED),
    output:
        "results/tables/accuracy.csv",
    log:
        "logs/accuracy_table.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/accuracy_table.py"
