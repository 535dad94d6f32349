"""II along paths between pairs of K-means directions."""

from superposition.pipeline.analyses import analysis_interpolation
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    analysis_interpolation(snakemake.input.responses, snakemake.input.directions,
                           snakemake.input.pool, p.metric, dict(snakemake.input.items()), p.k,
                           p.n_pairs, p.alphas, p.seed, p.device, p.metric_size,
                           snakemake.output[0], p.one_per_group)
