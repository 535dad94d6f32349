"""The run's results as one Markdown document, generated from its tables."""

from superposition.pipeline.figures import results_document
from superposition.runner import logged

i, p, out = snakemake.input, snakemake.params, snakemake.output
with logged(snakemake):
    results_document(i.net, calibration=i.calibration, recovery=list(i.recovery), metric=p.metric,
                     dictionary=p.dictionary, out=out.document, scores=list(i.scores),
                     out_flat=out.flat, catch_trials=i.catch_trials[0] if i.catch_trials else None)
