"""Figure: ground-truth recovery per direction method."""

from superposition.pipeline.figures import figure_recovery
from superposition.runner import logged

with logged(snakemake):
    figure_recovery(snakemake.input[0], snakemake.params.title, snakemake.output[0])
