"""Covariance spectrum of a layer's responses and its power-law exponent."""

from superposition.pipeline.analyses import analysis_spectrum
from superposition.runner import logged

with logged(snakemake):
    analysis_spectrum(snakemake.input[0], snakemake.params.lo, snakemake.params.hi,
                      snakemake.output[0])
