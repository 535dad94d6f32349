"""Stage 6 inputs: recorded responses -> the (image x unit) contract."""

from superposition.pipeline.responses import ingest_recording
from superposition.runner import logged

recording = snakemake.params.recording
with logged(snakemake):
    ingest_recording(snakemake.input.pool, source=snakemake.wildcards.source,
                     area=snakemake.wildcards.layer, adapter=recording.adapter,
                     params=recording.options, zscore=recording.zscore,
                     min_std=recording.min_std, out=snakemake.output[0])
