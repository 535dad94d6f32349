# Stage 3: directions in activation space (neurons, the paper's K-means, PCA,
# ICA, NMF, a sparse autoencoder, random), each with its responses.


rule find_directions:
    input:
        "results/responses/{source}/{layer}.zarr",
    output:
        directory("results/directions/{source}/{layer}/{method}.zarr"),
    log:
        "logs/find_directions/{source}/{layer}/{method}.log",
    conda:
        "../../envs/torch.yaml"
    resources:
        gpu=lambda wc: int(base_method(wc.method) == "sae"),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="1h",
    params:
        method=lambda wc: base_method(wc.method),
        k_ratio=k_ratio,
        options=lambda wc: method_params(wc.method),
        seed=config["seed"],
    script:
        "../../scripts/find_directions.py"
