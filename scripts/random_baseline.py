"""Stage 4: II of random image sets, the chance level of a pool."""

from superposition.pipeline.scoring import random_baseline
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    random_baseline(snakemake.input.pool, weights=dict(snakemake.input.items()),
                    scoring=p.scoring, seed=p.seed, device=p.device, out=snakemake.output[0])
