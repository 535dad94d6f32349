"""Stage 4: every score of the known-answer units built from one pool."""

from superposition.pipeline import calibrate
from superposition.runner import logged

p = snakemake.params
inputs = dict(snakemake.input.items())
embeddings = {k.removeprefix("emb_"): v for k, v in inputs.items() if k.startswith("emb_")}
with logged(snakemake):
    calibrate(snakemake.input.pool, snakemake.input.statistics, snakemake.input.chance,
              embeddings, p.metrics, inputs, p.k, p.one_per_group, p.mis, p.baseline,
              p.calibration, p.seed, p.device, p.metric_size, snakemake.output[0],
              inputs.get("mis_alpha"))
