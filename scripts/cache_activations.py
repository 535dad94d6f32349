"""Stage 2: stream a pool through a model once and cache all its layers' activations."""

from superposition.pipeline.responses import cache_activations
from superposition.runner import logged

p, model = snakemake.params, snakemake.params.model
with logged(snakemake):
    cache_activations(snakemake.input.pool, architecture=model.architecture,
                      weights_dir=snakemake.input.weights or None, weights_tag=model.weights,
                      layers=model.layers, statistic=model.statistic,
                      batch_size=model.batch_size, input_size=model.input_size,
                      device=p.device, seed=p.seed, source=snakemake.wildcards.source,
                      out=snakemake.output[0], workers=snakemake.threads, layout=model.layout)
