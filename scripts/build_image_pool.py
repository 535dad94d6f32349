"""Stage 1: build one image pool (see superposition.pipeline.build_pool)."""

from superposition.pipeline.images import build_pool
from superposition.runner import logged

with logged(snakemake):
    build_pool(snakemake.wildcards.pool, snakemake.params.kind, snakemake.params.options,
               snakemake.params.seed, snakemake.output[0], workers=snakemake.threads)
