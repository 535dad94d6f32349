# Stage 7: figures, tables and the documents, each wrapped for the HTML report
# (`snakemake --report results/report.html`).


rule figure_ii_by_method:
    input:
        scores=lambda wc: scores(wc.source),
        baseline=lambda wc: f"results/baselines/{SOURCES[wc.source].pool}.csv",
    output:
        report(
            "results/figures/{source}/ii_by_method.png",
            caption="../report/ii_by_method.rst",
            category="Figs. 3-4 - neurons vs directions",
            subcategory="{source}",
            labels={"source": "{source}", "figure": "II by method"},
        ),
    log:
        "logs/figure_ii_by_method/{source}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        metric=SCORING.metric,
        title=lambda wc: f"{wc.source}: neurons vs directions ({SCORING.metric})",
    script:
        "../../scripts/figure_ii_by_method.py"


rule figure_ii_by_size:
    input:
        scores=lambda wc: scores(wc.source),
    output:
        report(
            "results/figures/{source}/ii_by_size.png",
            caption="../report/ii_by_size.rst",
            category="Dictionary size",
            subcategory="{source}",
            labels={"source": "{source}", "figure": "II by dictionary size"},
        ),
    log:
        "logs/figure_ii_by_size/{source}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        metric=SCORING.metric,
        title=lambda wc: f"{wc.source}: does a bigger dictionary give more interpretable "
        f"directions? ({SCORING.metric})",
    script:
        "../../scripts/figure_ii_by_size.py"


rule figure_meis:
    input:
        scores=lambda wc: scores(wc.source, [wc.layer], FIGURES.mei_methods),
        pool=lambda wc: pool_zarr(wc.source),
    output:
        report(
            "results/figures/{source}/meis_{layer}.png",
            caption="../report/meis.rst",
            category="Figs. 3-4 - maximally exciting images",
            subcategory="{source}",
            labels={"source": "{source}", "layer": "{layer}"},
        ),
    log:
        "logs/figure_meis/{source}/{layer}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        metric=SCORING.metric,
        figures=FIGURES,
        title=lambda wc: f"{wc.source} {wc.layer}: top-{SCORING.k} images of the most "
        f"and least interpretable units",
    script:
        "../../scripts/figure_meis.py"


rule figure_psychophysics:
    input:
        lambda wc: expand(
            "results/psychophysics/{source}/{layer}/{method}.csv",
            source=wc.source,
            layer=SOURCES[wc.source].layers,
            method=PSYCHO.methods,
        ),
    output:
        report(
            "results/figures/{source}/psychophysics.png",
            caption="../report/psychophysics.rst",
            category="Fig. 5 - in-silico psychophysics",
            subcategory="{source}",
            labels={"source": "{source}", "figure": "accuracy vs difficulty"},
        ),
    log:
        "logs/figure_psychophysics/{source}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        title=lambda wc: f"{wc.source}: in-silico 2-AFC ({SCORING.metric}, "
        f"{PSYCHO.pooling} pooling)",
    script:
        "../../scripts/figure_psychophysics.py"


rule figure_recovery:
    input:
        "results/recovery/{source}.csv",
    output:
        report(
            "results/figures/{source}/recovery.png",
            caption="../report/recovery.rst",
            category="New - recovery of planted features",
            subcategory="{source}",
            labels={"source": "{source}", "figure": "recovery"},
        ),
    log:
        "logs/figure_recovery/{source}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        title=lambda wc: f"{wc.source}: recovery of the planted feature directions",
    script:
        "../../scripts/figure_recovery.py"


rule figure_summary:
    input:
        scores=[f for source in SOURCES for f in scores(source)],
        calibration="results/tables/calibration.csv",
        calibration_figure="results/figures/calibration.png",
    output:
        compact=report(
            "results/figures/summary_compact.png",
            caption="../report/summary.rst",
            category="Summary - net effects, all sources and controls",
            labels={"figure": "K-means and the best sparse dictionary vs neurons"},
        ),
        figure=report(
            "results/figures/summary.png",
            caption="../report/summary.rst",
            category="Summary - net effects, all sources and controls",
            labels={"figure": "directions vs neurons, all sources"},
        ),
        table=report(
            "results/tables/ii_summary.csv",
            caption="../report/summary_table.rst",
            category="Summary - net effects, all sources and controls",
            labels={"table": "mean II and MIS per source, layer and method"},
        ),
        net=report(
            "results/tables/net_effects.csv",
            caption="../report/net_effects.rst",
            category="Summary - net effects, all sources and controls",
            labels={"table": "net effects over the matched nulls"},
        ),
        front=report(
            "results/tables/front_page.rst",
            caption="../report/front_page.rst",
            category="Summary - net effects, all sources and controls",
            labels={"table": "front page (reStructuredText)"},
        ),
    log:
        "logs/figure_summary/summary.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        metric=SCORING.metric,
        untrained=UNTRAINED,
        pools={source: info.pool for source, info in SOURCES.items()},
        dictionary=SHOWN_DICTIONARY,
    script:
        "../../scripts/figure_summary.py"


rule results_document:
    input:
        net="results/tables/net_effects.csv",
        calibration="results/tables/calibration.csv",
        recovery=expand("results/recovery/{source}.csv", source=PLANTED),
        catch_trials=(["results/tables/imi_catch_trials.csv"] if CATCH_POOLS else []),
        scores=[f for source in SOURCES for f in scores(source)],
    output:
        document="results/RESULTS.md",
        flat=report(
            "results/tables/flat_crops.csv",
            caption="../report/flat_crops.rst",
            category="Summary - net effects, all sources and controls",
            labels={"table": "flat crops among each direction set's top sets"},
        ),
    log:
        "logs/results_document/results.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        metric=SCORING.metric,
        dictionary=SHOWN_DICTIONARY,
    script:
        "../../scripts/results_document.py"


rule claims_document:
    """Each of the paper's claims beside this run's numbers, with a verdict."""
    input:
        summary="results/tables/ii_summary.csv",
        net="results/tables/net_effects.csv",
        scores=[f for s in CLAIM_SOURCES for f in scores(s)],
        psychophysics=[
            f"results/psychophysics/{s}/{layer}/{m}.csv"
            for s in CLAIM_SOURCES
            for layer in SOURCES[s].layers
            for m in PSYCHO.methods
        ],
        synergy=claim_analyses("synergy"),
        interpolation=claim_analyses("interpolation"),
        accuracy=["results/tables/accuracy.csv"] if TRAINED else [],
        pooled=["results/tables/pooled_effects.csv"] if POOLED else [],
    output:
        "results/CLAIMS.md",
    log:
        "logs/claims_document/claims.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        metric=SCORING.metric,
        first_layers={s: SOURCES[s].layers[0] for s in CLAIM_SOURCES},
        context={
            "title": "The paper's claims on this run",
            "config": ", ".join(f"`{Path(f).name}`" for f in workflow.configfiles),
            "pool": describe_pools({SOURCES[s].pool for s in CLAIM_SOURCES}),
            "metric_note": (
                ""
                if SCORING.metric == "lpips_alex"
                else "not the paper's LPIPS-AlexNet, whose weights need a network"
            ),
        },
    script:
        "../../scripts/claims_document.py"


rule figure_agreement:
    input:
        [f for source in SOURCES for f in scores(source)],
    output:
        figure=report(
            "results/figures/ii_mis_agreement.png",
            caption="../report/agreement.rst",
            category="Summary - net effects, all sources and controls",
            labels={"figure": "agreement of II and MIS"},
        ),
        table=report(
            "results/tables/ii_mis_agreement.csv",
            caption="../report/agreement.rst",
            category="Summary - net effects, all sources and controls",
            labels={"table": "agreement of II and MIS"},
        ),
    log:
        "logs/figure_agreement/agreement.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        metric=SCORING.metric,
    script:
        "../../scripts/figure_agreement.py"


rule figure_zoo:
    input:
        "results/tables/ii_summary.csv",
    output:
        figure=report(
            "results/figures/zoo.png",
            caption="../report/zoo.rst",
            category="Model zoo",
            labels={"figure": "gains over neurons by depth, every zoo model"},
        ),
        table=report(
            "results/tables/zoo.csv",
            caption="../report/zoo.rst",
            category="Model zoo",
            labels={"table": "gains over neurons by model, layer and depth"},
        ),
    log:
        "logs/figure_zoo/zoo.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        index=ZOO,
        depths=lambda wc: {source: DEPTHS.get(source, {}) for source in ZOO},
        methods=ZOO_METHODS,
        metric=SCORING.metric,
    script:
        "../../scripts/figure_zoo.py"


rule record_config:
    output:
        report(
            "results/config.yaml",
            caption="../report/config.rst",
            category="Configuration",
            labels={"file": "the configuration of this run"},
        ),
    log:
        "logs/record_config/config.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        config=PLAN.config,  # as expanded: zoo rows, untrained nulls, layers resolved
    script:
        "../../scripts/record_config.py"
