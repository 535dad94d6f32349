"""The model zoo: every zoo model's gains over its neurons by relative depth."""

from superposition.pipeline.figures import figure_zoo
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    figure_zoo(snakemake.input[0], index=p.index, depths=p.depths, methods=p.methods,
               metric=p.metric, out_figure=snakemake.output.figure,
               out_table=snakemake.output.table)
