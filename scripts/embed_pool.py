"""Every image of a pool embedded once under each scoring metric, for the jobs that score."""

from superposition.pipeline.scoring import embed_pool
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    embed_pool(snakemake.input.pool, p.metrics, dict(snakemake.input.items()), p.device,
               p.metric_size, list(snakemake.output))
