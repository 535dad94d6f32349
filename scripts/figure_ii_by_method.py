"""Figure: II of neurons vs each direction method, per layer."""

from superposition.pipeline.figures import figure_ii
from superposition.runner import logged

with logged(snakemake):
    figure_ii(snakemake.input.scores, baseline=snakemake.input.baseline,
              metric=snakemake.params.metric, title=snakemake.params.title, out=snakemake.output[0])
