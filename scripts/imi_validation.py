"""IMI: in-silico evidence, II and MIS against human correctness."""

from superposition.pipeline.imi import imi_validation
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    imi_validation(snakemake.input.trials, list(snakemake.input.evidence),
                   list(snakemake.input.unit_ii), p.imi, p.seed, p.mis_alpha,
                   snakemake.output.trials, snakemake.output.units, snakemake.output.unit_table,
                   snakemake.output.models, snakemake.input.mis_alpha)
