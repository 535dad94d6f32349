"""IMI: the MIS observer's alpha of every metric, fitted on the human trials."""

from superposition.pipeline.imi import imi_mis_alpha
from superposition.runner import logged

with logged(snakemake):
    imi_mis_alpha(snakemake.input.trials, list(snakemake.input.evidence), snakemake.output[0])
