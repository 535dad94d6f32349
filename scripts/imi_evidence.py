"""IMI: in-silico evidence per stimulus set and II per unit, under one metric."""

from superposition.pipeline.imi import imi_evidence
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    imi_evidence(snakemake.input.trials, snakemake.input.stimuli, snakemake.wildcards.metric,
                 dict(snakemake.input.items()), p.imi, p.device, snakemake.output.sets,
                 snakemake.output.units)
