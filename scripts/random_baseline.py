"""Stage 4: II of random image sets, the chance level of a pool."""

from superposition.pipeline import random_baseline
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    random_baseline(snakemake.input.pool, p.metrics, dict(snakemake.input.items()), p.k,
                    p.n_sets, p.seed, p.device, p.metric_size, snakemake.output[0],
                    p.one_per_group)
