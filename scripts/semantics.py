"""Label and factor purity of every unit's and direction's top images."""

from superposition.pipeline.analyses import analysis_semantics
from superposition.runner import logged

with logged(snakemake):
    analysis_semantics(list(snakemake.input.scores), snakemake.input.pool,
                       snakemake.params.metric, snakemake.output[0])
