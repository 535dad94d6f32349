"""Summary over sources: gains of directions over neurons, net of the matched nulls."""

from superposition.pipeline import figure_summary
from superposition.runner import logged

with logged(snakemake):
    figure_summary(list(snakemake.input), snakemake.params.metric, snakemake.params.untrained,
                   snakemake.output.figure, snakemake.output.table, snakemake.output.net,
                   snakemake.output.front)
