"""A user network's own planted feature directions at one layer, as ground truth."""

from superposition.pipeline.responses import model_ground_truth
from superposition.runner import logged

model = snakemake.params.model
with logged(snakemake):
    model_ground_truth(model.architecture, weights_dir=snakemake.input.weights or None,
                       weights_tag=model.weights, seed=snakemake.params.seed,
                       responses=snakemake.input.responses, out=snakemake.output[0])
