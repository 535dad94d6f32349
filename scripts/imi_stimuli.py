"""IMI: the trials' ImageNet stimuli, rebuilt from the file map."""

from superposition.pipeline.imi import imi_stimuli
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    imi_stimuli(snakemake.input.trials, imi=p.imi, out=snakemake.output[0],
                workers=snakemake.threads)
