"""IMI: in-silico evidence, II and MIS against human correctness."""

from superposition.pipeline.imi import imi_validation
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    imi_validation(snakemake.input.trials, evidence=list(snakemake.input.evidence),
                   unit_ii=list(snakemake.input.unit_ii), imi=p.imi, seed=p.seed,
                   mis_alpha=p.mis_alpha, out_trials=snakemake.output.trials,
                   out_units=snakemake.output.units, out_unit_table=snakemake.output.unit_table,
                   out_models=snakemake.output.models, fitted=snakemake.input.mis_alpha)
