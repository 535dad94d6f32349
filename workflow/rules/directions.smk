# Stage 3: directions in activation space (neurons, the paper's K-means, PCA,
# ICA, NMF, the `overcomplete` sparse autoencoders and NMFs, random), each with its
# responses; and each method's shuffled-fit null (<method>_shuffled) where the config
# lists it. One job per layer fits a batch of sets, the shuffled-fit nulls with the
# rest (see set_batches): the responses are read and the libraries imported once. The batch of methods fitted in torch
# (K-means' Lloyd loop, the `overcomplete` methods) asks for a GPU where the device
# allows; scikit-learn's runs on the CPU.

for batch, (sets, sources) in set_batches(split_gpu=True).items():

    rule:
        name:
            f"find_{batch}"
        input:
            "results/responses/{source}/{layer}.zarr",
        output:
            [
                directory(f"results/directions/{{source}}/{{layer}}/{d}.zarr")
                for d in sets
            ],
        log:
            f"logs/find_{batch}/{{source}}/{{layer}}.log",
        wildcard_constraints:
            source=alternatives(sources),
        conda:
            "../../envs/torch.yaml"
        resources:
            **gpu_request(lambda wc, gpu=batch.endswith("_gpu"): gpu),
            mem_mb=lambda wc, attempt: 8000 * attempt,
            runtime="2h",
        params:
            sets=lambda wc, sets=sets: set_specs(wc.source, sets),
            seed=SEED,
            device=device(lambda wc, gpu=batch.endswith("_gpu"): gpu),
        script:
            "../../scripts/find_directions.py"
