"""Place a perceptual metric's backbone weights under resources/."""

from superposition.pipeline.images import fetch_metric_weights
from superposition.runner import logged

with logged(snakemake):
    fetch_metric_weights(snakemake.wildcards.metric, snakemake.output[0])
