"""Stage 2: stream a pool through a model once and cache all its layers' activations."""

from superposition.pipeline.responses import cache_activations
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    cache_activations(snakemake.input.pool, p.architecture, snakemake.input.weights or None,
                      p.weights_tag, p.layers, p.statistic, p.batch_size, p.input_size,
                      p.device, p.seed, snakemake.wildcards.source, snakemake.output[0],
                      workers=snakemake.threads, layout=p.layout)
