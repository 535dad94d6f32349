"""Figure: in-silico 2-AFC accuracy vs difficulty."""

from superposition.pipeline.figures import figure_psychophysics
from superposition.runner import logged

with logged(snakemake):
    figure_psychophysics(list(snakemake.input), snakemake.params.title, snakemake.output[0])
