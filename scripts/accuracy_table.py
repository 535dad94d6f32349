"""Top-1 accuracy of every trained classifier, from its activation cache's check."""

from superposition.pipeline.responses import accuracy_table

accuracy_table(list(snakemake.input), snakemake.output[0], snakemake.log[0])
