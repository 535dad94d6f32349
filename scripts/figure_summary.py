"""Summary over sources: gains of directions over neurons, net of the matched nulls."""

from superposition.pipeline.figures import figure_summary
from superposition.runner import logged

p, out = snakemake.params, snakemake.output
with logged(snakemake):
    figure_summary(list(snakemake.input.scores), snakemake.input.calibration,
                   snakemake.input.calibration_figure, p.metric,
                   p.untrained, p.pools, p.dictionary, out.figure, out.compact, out.table,
                   out.net, out.front)
