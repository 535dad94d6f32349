"""Stage 5: in-silico 2-AFC psychophysics of a layer's direction sets."""

from superposition.pipeline.io import embedding_stores
from superposition.pipeline.scoring import psychophysics
from superposition.runner import logged

p = snakemake.params
inputs = dict(snakemake.input.items())
with logged(snakemake):
    psychophysics(list(snakemake.input.directions), outs=list(snakemake.output),
                  pool=snakemake.input.pool, weights=inputs, embeddings=embedding_stores(inputs),
                  settings=p.psychophysics, scoring=p.scoring, seed=p.seed, device=p.device)
