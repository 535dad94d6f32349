"""A user network's own planted feature directions at one layer, as ground truth."""

from superposition.pipeline.responses import model_ground_truth
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    model_ground_truth(p.architecture, snakemake.input.weights or None, p.weights_tag, p.seed,
                       snakemake.input.responses, snakemake.output[0])
