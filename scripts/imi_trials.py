"""IMI: filtered trials of responses_main.csv, checked against the file map."""

from superposition.pipeline.imi import imi_trials
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    imi_trials(p.imi, snakemake.output[0])
