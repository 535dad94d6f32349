"""Figures of the further analyses of a source, all layers each."""

from superposition.pipeline.analyses import figure_analyses
from superposition.runner import logged

tables = {name: list(snakemake.input[name]) for name in snakemake.output.keys()}
with logged(snakemake):
    figure_analyses(tables, outs=dict(snakemake.output.items()), metric=snakemake.params.metric,
                    source=snakemake.wildcards.source)
