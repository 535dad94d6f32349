"""Write the run's configuration into results/, for the report."""

from superposition.pipeline.figures import record_config
from superposition.runner import logged

with logged(snakemake):
    record_config(snakemake.params.config, snakemake.output[0])
