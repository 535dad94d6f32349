"""Figure: II against dictionary size K / n, per method and layer, beside the neurons."""

from superposition.pipeline.figures import figure_sizes
from superposition.runner import logged

with logged(snakemake):
    figure_sizes(snakemake.input.scores, snakemake.params.metric, snakemake.params.title,
                 snakemake.output[0])
