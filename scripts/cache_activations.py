"""Stage 2: stream a pool through a model once and cache all its layers' activations."""

from superposition.pipeline.responses import cache_activations
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    cache_activations(snakemake.input.pool, architecture=p.architecture,
                      weights_dir=snakemake.input.weights or None, weights_tag=p.weights_tag,
                      layers=p.layers, statistic=p.statistic, batch_size=p.batch_size,
                      input_size=p.input_size, device=p.device, seed=p.seed,
                      source=snakemake.wildcards.source, out=snakemake.output[0],
                      workers=snakemake.threads, layout=p.layout)
