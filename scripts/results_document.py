"""The run's results as one Markdown document, generated from its tables."""

from superposition.pipeline.figures import results_document
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    results_document(snakemake.input.net, snakemake.input.calibration,
                     list(snakemake.input.recovery), p.metric, p.dictionaries,
                     snakemake.output[0])
