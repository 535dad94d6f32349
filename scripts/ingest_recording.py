"""Stage 6 inputs: recorded responses -> the (image x unit) contract."""

from superposition.pipeline.responses import ingest_recording
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    ingest_recording(snakemake.input.pool, snakemake.wildcards.source, snakemake.wildcards.layer,
                     p.adapter, p.options, p.zscore, p.min_std, snakemake.output[0])
