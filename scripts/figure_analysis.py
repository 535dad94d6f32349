"""Figure of one further analysis, all layers of a source."""

from superposition.pipeline.analyses import figure_analysis
from superposition.runner import logged

with logged(snakemake):
    figure_analysis(snakemake.wildcards.analysis, list(snakemake.input), snakemake.params.metric,
                    snakemake.params.title, snakemake.output[0])
