"""Low-level statistics of every image of a pool, for the bland-image control."""

from superposition.pipeline.images import image_statistics
from superposition.runner import logged

with logged(snakemake):
    image_statistics(snakemake.input[0], snakemake.output[0])
