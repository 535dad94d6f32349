"""Feature synergy: II of pairs of neurons combined vs the better of the two."""

from superposition.pipeline.analyses import analysis_synergy
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    analysis_synergy(snakemake.input.responses, snakemake.input.neurons, snakemake.input.pool,
                     p.metric, dict(snakemake.input.items()), p.k, p.n_pairs, p.seed, p.device,
                     p.metric_size, snakemake.output[0], p.one_per_group)
