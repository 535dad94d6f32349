# Stage 1: image pools -> Zarr, once, with their provenance.


rule build_image_pool:
    output:
        directory("results/pools/{pool}.zarr"),
    params:
        kind=lambda wc: POOLS_CFG[wc.pool]["kind"],
        options=lambda wc: {
            k: v for k, v in POOLS_CFG[wc.pool].items() if k != "kind"
        },
        seed=config["seed"],
    log:
        "logs/build_image_pool/{pool}.log",
    resources:
        mem_mb=4000,
        runtime="30m",
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/build_image_pool.py"
