"""Summary over sources: gains of directions over neurons, net of the matched nulls."""

from superposition.pipeline.figures import figure_summary
from superposition.runner import logged

p, out = snakemake.params, snakemake.output
with logged(snakemake):
    figure_summary(list(snakemake.input.scores), calibration=snakemake.input.calibration,
                   calibration_figure=snakemake.input.calibration_figure, metric=p.metric,
                   untrained=p.untrained, pools=p.pools, dictionary=p.dictionary,
                   out_figure=out.figure, out_compact=out.compact, out_table=out.table,
                   out_net=out.net, out_front=out.front)
