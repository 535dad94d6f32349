"""Stage 1: build one image pool (see superposition.pipeline.build_pool)."""

from superposition.pipeline.images import build_pool
from superposition.runner import logged

with logged(snakemake):
    pool = snakemake.params.pool
    build_pool(snakemake.wildcards.pool, kind=pool.kind, params=pool.options,
               seed=snakemake.params.seed, out=snakemake.output[0], workers=snakemake.threads)
