"""Fetch one file of a public dataset into resources/, checking its sha256."""

from superposition.pipeline.images import download_dataset
from superposition.runner import logged

with logged(snakemake):
    download_dataset(snakemake.wildcards.dataset, file=snakemake.wildcards.file,
                     base_url=snakemake.params.base_url, out=snakemake.output[0])
