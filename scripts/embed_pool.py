"""Every image of a pool embedded once under a metric, for the score jobs."""

from superposition.pipeline.scoring import embed_pool
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    embed_pool(snakemake.input.pool, snakemake.wildcards.metric, dict(snakemake.input.items()),
               p.device, p.metric_size, snakemake.output[0])
