"""Most vs least interpretable half of the neurons, re-clustered separately."""

from superposition.pipeline.analyses import analysis_split
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    analysis_split(snakemake.input.responses, snakemake.input.neurons, snakemake.input.pool,
                   p.metric, dict(snakemake.input.items()), p.k, p.seed, p.device,
                   p.metric_size, snakemake.output[0], p.one_per_group)
