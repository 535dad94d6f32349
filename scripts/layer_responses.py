"""A model layer's response store, taken from its model's one-pass cache as hard links."""

from superposition.pipeline.responses import layer_responses

layer_responses(snakemake.input[0], layer=snakemake.wildcards.layer, out=snakemake.output[0],
                log_file=snakemake.log[0])
