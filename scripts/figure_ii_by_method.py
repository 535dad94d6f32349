"""Figure: II of neurons vs each direction method, per layer."""

from superposition.pipeline.figures import figure_ii
from superposition.runner import logged

with logged(snakemake):
    figure_ii(snakemake.input.scores, snakemake.input.baseline, snakemake.params.metric,
              snakemake.params.title, snakemake.output[0])
