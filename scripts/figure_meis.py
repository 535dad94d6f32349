"""Figure: top-k image grids of the best and worst units and directions."""

from superposition.pipeline.figures import figure_meis
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    figure_meis(snakemake.input.scores, pool=snakemake.input.pool, metric=p.metric,
                figures=p.figures, title=p.title, out=snakemake.output[0])
