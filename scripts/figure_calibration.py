"""Stage 4: the calibration table and figure of every scored pool."""

from superposition.pipeline.scoring import calibration
from superposition.runner import logged

with logged(snakemake):
    calibration(list(snakemake.input), snakemake.params.settings,
                snakemake.params.lowlevel_metrics, snakemake.output.table,
                snakemake.output.figure)
