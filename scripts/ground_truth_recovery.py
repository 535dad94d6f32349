"""How well each method's directions match the planted feature directions."""

from superposition.pipeline.directions import recovery
from superposition.runner import logged

with logged(snakemake):
    recovery(snakemake.input.directions, truths=snakemake.input.truth,
             layers=snakemake.params.layers, out=snakemake.output[0])
