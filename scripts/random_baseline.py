"""Stage 4: II of random image sets, the chance level of a pool."""

from superposition.pipeline.scoring import random_baseline
from superposition.runner import logged

p = snakemake.params
m = p.metric_inputs
with logged(snakemake):
    random_baseline(snakemake.input.pool, weights=m.weights, embeddings=m.embeddings,
                    scoring=p.scoring, seed=p.seed, device=p.device, out=snakemake.output[0])
