"""Stage 4: II, MIS and the bland-image control of every direction of a layer's sets."""

from superposition.pipeline.scoring import score_direction_sets
from superposition.runner import logged

p = snakemake.params
m = p.metric_inputs
with logged(snakemake):
    score_direction_sets(list(snakemake.input.directions), outs=list(snakemake.output),
                         pool=snakemake.input.pool, statistics=snakemake.input.statistics,
                         embeddings=m.embeddings, weights=m.weights, scoring=p.scoring,
                         seed=p.seed, device=p.device, fitted=m.mis_alpha)
