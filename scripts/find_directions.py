"""Stage 3: find a layer's direction sets and record their responses."""

from superposition.pipeline.directions import find_direction_sets
from superposition.runner import logged

with logged(snakemake):
    find_direction_sets(snakemake.input[0], sets=snakemake.params.sets, seed=snakemake.params.seed,
                        outs=list(snakemake.output), device=snakemake.params.device)
