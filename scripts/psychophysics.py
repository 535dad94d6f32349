"""Stage 5: in-silico 2-AFC psychophysics of a layer's direction sets."""

from superposition.pipeline.scoring import psychophysics
from superposition.runner import logged

p = snakemake.params
m = p.metric_inputs
with logged(snakemake):
    psychophysics(list(snakemake.input.directions), outs=list(snakemake.output),
                  pool=snakemake.input.pool, weights=m.weights, embeddings=m.embeddings,
                  settings=p.psychophysics, scoring=p.scoring, seed=p.seed, device=p.device)
