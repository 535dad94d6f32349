"""A synthetic neural population with planted superposition on a pool's images."""

from superposition.pipeline.responses import synthetic_population
from superposition.runner import logged

with logged(snakemake):
    synthetic_population(snakemake.input.pool, source=snakemake.wildcards.source,
                         area=snakemake.wildcards.layer, settings=snakemake.params.settings,
                         seed=snakemake.params.seed, out_responses=snakemake.output.responses,
                         out_truth=snakemake.output.truth)
