# Stage 3: directions in activation space (neurons, the paper's K-means, PCA,
# ICA, NMF, the `overcomplete` sparse autoencoders and NMFs, random), each with its
# responses; and each method's shuffled-fit null (<method>_shuffled) where the config
# lists it. K-means and the `overcomplete` methods run on a GPU where the device
# allows (a torch Lloyd loop; scikit-learn on the CPU): their own rule, so a cluster
# sends them, and only them, to a GPU partition.

GPU_METHODS = [
    "kmeans",
    "topk_sae",
    "batchtopk_sae",
    "jumprelu_sae",
    "archetypal_sae",
    "semi_nmf",
    "convex_nmf",
]


rule find_directions:
    input:
        "results/responses/{source}/{layer}.zarr",
    output:
        directory("results/directions/{source}/{layer}/{method}.zarr"),
    log:
        "logs/find_directions/{source}/{layer}/{method}.log",
    wildcard_constraints:
        method=alternatives(
            d for d in DIRECTION_SETS if fitted_method(d) not in GPU_METHODS
        ),
    conda:
        "../../envs/torch.yaml"
    resources:
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="1h",
    params:
        method=lambda wc: base_method(wc.method),
        k_ratio=k_ratio,
        options=lambda wc: method_params(wc.method),
        seed=config["seed"],
        device=config["device"],
    script:
        "../../scripts/find_directions.py"


use rule find_directions as find_directions_gpu with:
    wildcard_constraints:
        method=alternatives(
            d for d in DIRECTION_SETS if fitted_method(d) in GPU_METHODS
        ),
    resources:
        gpu=int(config["device"] != "cpu"),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="1h",
