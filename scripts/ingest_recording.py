"""Stage 6 inputs: recorded responses -> the (image x unit) contract."""

from superposition.pipeline.responses import ingest_recording
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    ingest_recording(snakemake.input.pool, source=snakemake.wildcards.source,
                     area=snakemake.wildcards.layer, adapter=p.adapter, params=p.options,
                     zscore=p.zscore, min_std=p.min_std, out=snakemake.output[0])
