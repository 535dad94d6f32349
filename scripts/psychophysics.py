"""Stage 5: in-silico 2-AFC psychophysics for one direction set."""

from superposition.pipeline.scoring import psychophysics
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    psychophysics(snakemake.input.directions, snakemake.input.pool, p.metric,
                  dict(snakemake.input.items()), p.n_references, p.quantiles, p.n_trials,
                  p.band, p.pooling, p.seed, p.device, p.metric_size, snakemake.output[0])
