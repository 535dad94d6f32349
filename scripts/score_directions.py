"""Stage 4: II, MIS and the bland-image control of every direction of a layer's sets."""

from superposition.pipeline.io import embedding_stores
from superposition.pipeline.scoring import score_direction_sets
from superposition.runner import logged

p = snakemake.params
inputs = dict(snakemake.input.items())
with logged(snakemake):
    score_direction_sets(list(snakemake.input.directions), outs=list(snakemake.output),
                         pool=snakemake.input.pool, statistics=snakemake.input.statistics,
                         embeddings=embedding_stores(inputs), weights=inputs, scoring=p.scoring,
                         seed=p.seed, device=p.device, fitted=inputs.get("mis_alpha"))
