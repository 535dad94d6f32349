"""Figure: top-k image grids of the best and worst units and directions."""

from superposition.pipeline.figures import figure_meis
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    figure_meis(snakemake.input.scores, snakemake.input.pool, p.metric, p.figures, p.title,
                snakemake.output[0])
