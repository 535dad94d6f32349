"""A real positive control: the IMI catch-trial units under every score."""

from superposition.pipeline.scoring import catch_trials
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    catch_trials(dict(zip(p.names, snakemake.input.pools)), weights=p.metric_inputs.weights,
                 scoring=p.scoring, pooling=p.pooling, seed=p.seed, device=p.device,
                 out=snakemake.output[0])
