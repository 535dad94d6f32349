"""Stage 4: II of random image sets, the chance level of a pool."""

from superposition.pipeline.io import embedding_stores
from superposition.pipeline.scoring import random_baseline
from superposition.runner import logged

p = snakemake.params
inputs = dict(snakemake.input.items())
with logged(snakemake):
    random_baseline(snakemake.input.pool, weights=inputs, embeddings=embedding_stores(inputs),
                    scoring=p.scoring, seed=p.seed, device=p.device, out=snakemake.output[0])
