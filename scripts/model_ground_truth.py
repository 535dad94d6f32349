"""A user network's own planted feature directions at one layer, as ground truth."""

from superposition.pipeline.responses import model_ground_truth
from superposition.runner import logged

p = snakemake.params
with logged(snakemake):
    model_ground_truth(p.architecture, weights_dir=snakemake.input.weights or None,
                       weights_tag=p.weights_tag, seed=p.seed, responses=snakemake.input.responses,
                       out=snakemake.output[0])
