"""How well each method's directions match the planted feature directions."""

from superposition.pipeline.directions import recovery
from superposition.runner import logged

with logged(snakemake):
    recovery(snakemake.input.directions, snakemake.input.truth, snakemake.params.layers,
             snakemake.output[0])
