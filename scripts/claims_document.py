"""The paper's claims beside this run's numbers, with verdicts (results/CLAIMS.md)."""

from superposition.pipeline.figures import claims_document
from superposition.runner import logged

i, p = snakemake.input, snakemake.params
with logged(snakemake):
    claims_document(summary=i.summary, net=i.net, scores=list(i.scores),
                    psychophysics=list(i.psychophysics), synergy=list(i.synergy),
                    interpolation=list(i.interpolation),
                    accuracy=i.accuracy[0] if i.accuracy else None,
                    pooled=i.pooled[0] if i.pooled else None,
                    first_layers=p.first_layers, metric=p.metric, context=p.context,
                    out=snakemake.output[0])
