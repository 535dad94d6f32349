"""Stage 4: the calibration table and figure of every scored pool."""

from superposition.pipeline.scoring import calibration
from superposition.runner import logged

with logged(snakemake):
    calibration(list(snakemake.input), settings=snakemake.params.settings,
                lowlevel_metrics=snakemake.params.lowlevel_metrics,
                out_table=snakemake.output.table, out_figure=snakemake.output.figure)
