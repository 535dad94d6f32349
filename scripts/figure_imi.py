"""Figure 2: in-silico evidence and II vs human judgments (IMI)."""

from superposition.pipeline.figures import figure_imi
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    figure_imi(snakemake.input.trials, snakemake.input.units, snakemake.input.unit_table,
               p.model, p.metric, snakemake.output.auc, snakemake.output.units)
