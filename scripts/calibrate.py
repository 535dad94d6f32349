"""Stage 4: every score of the known-answer units built from one pool."""

from superposition.pipeline.io import embedding_stores
from superposition.pipeline.scoring import calibrate
from superposition.runner import logged

p = snakemake.params
inputs = dict(snakemake.input.items())
with logged(snakemake):
    calibrate(snakemake.input.pool, statistics=snakemake.input.statistics,
              embeddings=embedding_stores(inputs), weights=inputs, scoring=p.scoring, seed=p.seed,
              device=p.device, out=snakemake.output[0], fitted=inputs.get("mis_alpha"))
