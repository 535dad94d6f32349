"""Every image of a pool embedded once under each scoring metric, for the jobs that score."""

from superposition.pipeline.scoring import embed_pool
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    embed_pool(snakemake.input.pool, metrics=p.metrics, weights=p.metric_inputs.weights,
               device=p.device, metric_size=p.metric_size, outs=list(snakemake.output))
