# Stage 3: directions in activation space (neurons, the paper's K-means, PCA,
# ICA, NMF, the `overcomplete` sparse autoencoders and NMFs, random), each with its
# responses; and each method's shuffled-fit null (<method>_shuffled) where the config
# lists it. Methods registered as fitted in torch (K-means' Lloyd loop, the
# `overcomplete` methods) ask for a GPU where the device allows; scikit-learn's on
# the CPU.


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
        gpu=gpus(method_on_gpu),
        mem_mb=lambda wc, attempt: 8000 * attempt,
        runtime="1h",
    params:
        method=lambda wc: base_method(wc.method),
        k_ratio=k_ratio,
        options=lambda wc: method_params(wc.method),
        seed=config["seed"],
        device=device(method_on_gpu),
    script:
        "../../scripts/find_directions.py"
