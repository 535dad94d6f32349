# Stage 6: the paper's further analyses (feature synergy, interpolation between directions,
# split re-clustering, semantics of the top images, covariance spectrum): one job per
# source and layer runs those the config enables, and one job per source draws their
# figures, with II vs sparsity.

if ANALYSIS_SETTINGS:  # a key enables one; with none, only II vs sparsity is drawn

    rule further_analyses:
        input:
            unpack(further_analysis_inputs),
            metric_inputs=metric_files([SCORING.metric]),
            pool=lambda wc: pool_zarr(wc.source),
            responses="results/responses/{source}/{layer}.zarr",
            scores=lambda wc: scores(wc.source, [wc.layer]),
        output:
            **{
                a: f"results/analyses/{{source}}/{{layer}}/{a}.csv"
                for a in ANALYSIS_SETTINGS
            },
        log:
            "logs/further_analyses/{source}/{layer}.log",
        conda:
            "../../envs/torch.yaml"
        resources:
            **gpu_request(main_metric_on_gpu),
            mem_mb=lambda wc, attempt: 8000 * attempt,
            runtime="1h",
        params:
            metric_inputs=metric_inputs([SCORING.metric]),
            analyses=ANALYSIS_SETTINGS,
            scoring=SCORING,
            seed=SEED,
            device=device(main_metric_on_gpu),
        script:
            "../../scripts/further_analyses.py"


rule figure_analyses:
    input:
        unpack(analysis_tables),
    output:
        **{
            a: report(
                f"results/figures/{{source}}/{a}.png",
                caption="../report/analysis.rst",
                category="Figs. 6-8 and Sec. 7 - further analyses",
                subcategory=a,
                labels={"source": "{source}", "analysis": a},
            )
            for a in ANALYSIS_PLOTS
        },
    log:
        "logs/figure_analyses/{source}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        metric=SCORING.metric,
    script:
        "../../scripts/figure_analyses.py"
