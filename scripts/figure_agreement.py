"""Rank agreement of the two scores, II and MIS, per source and layer."""

from superposition.pipeline.figures import figure_agreement
from superposition.runner import logged

with logged(snakemake):
    figure_agreement(list(snakemake.input), metric=snakemake.params.metric,
                     out_figure=snakemake.output.figure, out_table=snakemake.output.table)
