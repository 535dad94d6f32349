"""The model zoo: every zoo model's gains over its neurons by relative depth."""

from superposition.pipeline.figures import figure_zoo
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    figure_zoo(snakemake.input[0], p.index, p.depths, p.methods, p.metric,
               snakemake.output.figure, snakemake.output.table)
