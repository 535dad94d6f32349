"""Stage 4: Interpretability Index of every direction under each metric."""

from superposition.pipeline import score_directions
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    score_directions(snakemake.input.directions, snakemake.input.pool, p.metrics,
                     dict(snakemake.input.items()), p.k, p.device, p.metric_size,
                     snakemake.output[0])
