"""Figure 2: in-silico evidence and II vs human judgments (IMI)."""

from superposition.pipeline.figures import figure_imi
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    figure_imi(snakemake.input.trials, unit_stats=snakemake.input.units,
               units=snakemake.input.unit_table, model=p.model, metric=p.metric,
               out_auc=snakemake.output.auc, out_units=snakemake.output.units)
