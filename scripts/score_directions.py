"""Stage 4: II, MIS and the bland-image control of every direction under each metric."""

from superposition.pipeline import score_directions
from superposition.runner import logged

p = snakemake.params
inputs = dict(snakemake.input.items())
embeddings = {k.removeprefix("emb_"): v for k, v in inputs.items() if k.startswith("emb_")}
with logged(snakemake):
    score_directions(snakemake.input.directions, snakemake.input.pool,
                     snakemake.input.statistics, embeddings, p.metrics, inputs, p.k,
                     p.one_per_group, p.mis, p.baseline, p.seed, p.device, p.metric_size,
                     snakemake.output[0],
                     inputs.get("mis_alpha"))
