"""Figure and table: II of each method relative to neurons, for every source."""

from superposition.pipeline import figure_summary
from superposition.runner import logged

with logged(snakemake):
    figure_summary(list(snakemake.input), snakemake.params.metric, snakemake.output.figure,
                   snakemake.output.table)
