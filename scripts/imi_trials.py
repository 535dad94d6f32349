"""IMI: filtered trials of responses_main.csv, checked against the file map."""

from superposition.pipeline.imi import imi_trials
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    imi_trials(snakemake.input.responses, snakemake.input.file_map, p.models, p.modes,
               p.passed_checks, p.drop_multi_participation, snakemake.output[0])
