"""The paper's further analyses of one layer: synergy, interpolation, split halves,
semantics, spectrum (those the config enables)."""

from superposition.pipeline.analyses import further_analyses
from superposition.runner import logged

p = snakemake.params
inputs = dict(snakemake.input.items())
with logged(snakemake):
    further_analyses(snakemake.input.responses, outs=dict(snakemake.output.items()),
                     analyses=p.analyses, pool=snakemake.input.pool,
                     neurons=inputs.get("neurons"), scores=list(snakemake.input.scores),
                     kmeans=inputs.get("kmeans"), weights=p.metric_inputs.weights,
                     embeddings=p.metric_inputs.embeddings, scoring=p.scoring, seed=p.seed,
                     device=p.device)
