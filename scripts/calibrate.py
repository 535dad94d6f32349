"""Stage 4: every score of the known-answer units built from one pool."""

from superposition.pipeline.scoring import calibrate
from superposition.runner import logged

p = snakemake.params
m = p.metric_inputs
with logged(snakemake):
    calibrate(snakemake.input.pool, statistics=snakemake.input.statistics,
              embeddings=m.embeddings, weights=m.weights, scoring=p.scoring, seed=p.seed,
              device=p.device, out=snakemake.output[0], fitted=m.mis_alpha)
