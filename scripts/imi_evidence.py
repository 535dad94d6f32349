"""IMI: in-silico evidence per stimulus set and II per unit, under one metric."""

from superposition.pipeline.imi import imi_evidence
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    imi_evidence(snakemake.input.trials, stimuli=snakemake.input.stimuli,
                 metric=snakemake.wildcards.metric, weights=p.metric_inputs.weights,
                 imi=p.imi, device=p.device, out_sets=snakemake.output.sets,
                 out_units=snakemake.output.units)
