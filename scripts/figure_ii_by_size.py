"""Figure: II against dictionary size K / n, per method and layer, beside the neurons."""

from superposition.pipeline.figures import figure_sizes
from superposition.runner import logged

with logged(snakemake):
    figure_sizes(snakemake.input.scores, metric=snakemake.params.metric,
                 title=snakemake.params.title, out=snakemake.output[0])
