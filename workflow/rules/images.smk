# Stage 1: image pools -> Zarr, once, with their provenance.


rule build_image_pool:
    input:
        lambda wc: data_inputs(POOLS_CFG[wc.pool].options),
    output:
        directory("results/pools/{pool}.zarr"),
    log:
        "logs/build_image_pool/{pool}.log",
    conda:
        "../../envs/analysis.yaml"
    # folders and archives decode in parallel threads; generated pools use one
    threads: lambda wc: 4 if POOLS_CFG[wc.pool].kind in ("folder", "zip") else 1
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime="30m",
    params:
        pool=lambda wc: POOLS_CFG[wc.pool],
        seed=SEED,
    script:
        "../../scripts/build_image_pool.py"
