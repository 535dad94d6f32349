"""Sessions of one brain area pooled across animals: one verdict per score."""

from superposition.pipeline.figures import pooled_effects
from superposition.runner import logged

p, out = snakemake.params, snakemake.output
with logged(snakemake):
    pooled_effects(scores=list(snakemake.input.scores), metric=p.metric, sessions=p.sessions,
                   method="kmeans", out_table=out.table,
                   out_figures=dict(zip(p.areas, out.figures)))
