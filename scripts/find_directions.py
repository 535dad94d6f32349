"""Stage 3: find directions with one method and record their responses."""

from superposition.pipeline import find_directions
from superposition.runner import logged

with logged(snakemake):
    find_directions(snakemake.input[0], snakemake.params.method, snakemake.params.k_ratio,
                    snakemake.params.options, snakemake.params.seed, snakemake.output[0],
                    name=snakemake.wildcards.method, device=snakemake.params.device)
