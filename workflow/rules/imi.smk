# Stage 5, validation against human judgments: the IMI 2-AFC psychophysics
# (Zimmermann et al. 2023). Trials -> their ImageNet stimuli -> in-silico evidence
# and II per unit -> AUC / r per trial, Spearman per unit -> Fig. 2.
# Beside it, a real positive control: the IMI catch-trial units' exemplars (a pool of
# kind imi_stimuli), which every score must find easy.


if CATCH_POOLS:

    rule imi_catch_trials:
        input:
            metric_inputs=metric_files(),
            pools=expand("results/pools/{pool}.zarr", pool=CATCH_POOLS),
        output:
            report(
                "results/tables/imi_catch_trials.csv",
                caption="../report/catch_trials.rst",
                category="Calibration - known-answer units",
                labels={
                    "table": "IMI catch trials: II, 2-AFC accuracy and MIS per unit"
                },
            ),
        log:
            "logs/imi_catch_trials.log",
        conda:
            "../../envs/torch.yaml"
        resources:
            **gpu_request(all_metrics_on_gpu),
            mem_mb=lambda wc, attempt: 4000 * attempt,
            runtime="30m",
        params:
            metric_inputs=metric_inputs(),
            names=CATCH_POOLS,
            scoring=SCORING,
            pooling=PSYCHO.pooling,
            seed=SEED,
            device=device(all_metrics_on_gpu),
        script:
            "../../scripts/imi_catch_trials.py"


if IMI:  # the branch runs when the config has an imi section

    rule imi_trials:
        input:
            responses=IMI.responses,
            file_map=IMI.file_map,
        output:
            "results/imi/trials.csv",
        log:
            "logs/imi_trials.log",
        conda:
            "../../envs/analysis.yaml"
        resources:
            mem_mb=lambda wc, attempt: 4000 * attempt,
            runtime="10m",
        params:
            imi=IMI,
        script:
            "../../scripts/imi_trials.py"

    rule imi_stimuli:
        input:
            trials="results/imi/trials.csv",
            file_map=IMI.file_map,
        output:
            directory("results/imi/stimuli.zarr"),
        log:
            "logs/imi_stimuli.log",
        conda:
            "../../envs/analysis.yaml"
        threads: 4  # decoding threads
        resources:
            mem_mb=lambda wc, attempt: 4000 * attempt,
            runtime="2h",
        params:
            imi=IMI,
        script:
            "../../scripts/imi_stimuli.py"

    rule imi_evidence:
        input:
            metric_inputs=metric_files(lambda wc: [wc.metric]),
            trials="results/imi/trials.csv",
            file_map=IMI.file_map,
            stimuli="results/imi/stimuli.zarr",
        output:
            sets="results/imi/evidence/{metric}.csv",
            units="results/imi/unit_ii/{metric}.csv",
        log:
            "logs/imi_evidence/{metric}.log",
        conda:
            "../../envs/torch.yaml"
        resources:
            **gpu_request(metric_on_gpu),
            mem_mb=lambda wc, attempt: 16000 * attempt,
            runtime="2h",
        params:
            metric_inputs=metric_inputs(lambda wc: [wc.metric]),
            imi=IMI,
            device=device(metric_on_gpu),
        script:
            "../../scripts/imi_evidence.py"

    rule imi_mis_alpha:
        input:
            trials="results/imi/trials.csv",
            evidence=expand("results/imi/evidence/{metric}.csv", metric=IMI_METRICS),
        output:
            report(
                "results/imi/mis_alpha.csv",
                caption="../report/imi_tables.rst",
                category="Fig. 2 - validation against human judgments (IMI)",
                labels={"table": "MIS alpha per metric, fitted on the human trials"},
            ),
        log:
            "logs/imi_mis_alpha.log",
        conda:
            "../../envs/analysis.yaml"
        resources:
            mem_mb=lambda wc, attempt: 4000 * attempt,
            runtime="30m",
        script:
            "../../scripts/imi_mis_alpha.py"

    rule imi_validation:
        input:
            trials="results/imi/trials.csv",
            evidence=expand("results/imi/evidence/{metric}.csv", metric=IMI_METRICS),
            unit_ii=expand("results/imi/unit_ii/{metric}.csv", metric=IMI_METRICS),
            mis_alpha="results/imi/mis_alpha.csv",
        output:
            trials=report(
                "results/imi/trial_stats.csv",
                caption="../report/imi_tables.rst",
                category="Fig. 2 - validation against human judgments (IMI)",
                labels={"table": "per trial: AUC and r by model, layer, confidence"},
            ),
            units=report(
                "results/imi/unit_stats.csv",
                caption="../report/imi_tables.rst",
                category="Fig. 2 - validation against human judgments (IMI)",
                labels={"table": "per unit: Spearman by model, noise ceiling"},
            ),
            unit_table="results/imi/units.csv",
            models=report(
                "results/imi/model_ranking.csv",
                caption="../report/imi_tables.rst",
                category="Fig. 2 - validation against human judgments (IMI)",
                labels={"table": "per model: mean human score vs II and MIS"},
            ),
        log:
            "logs/imi_validation.log",
        conda:
            "../../envs/analysis.yaml"
        resources:
            mem_mb=lambda wc, attempt: 4000 * attempt,
            runtime="30m",
        params:
            imi=IMI,
            seed=SEED,
            mis_alpha=SCORING.mis["alpha"],
        script:
            "../../scripts/imi_validation.py"

    rule figure_imi:
        input:
            trials="results/imi/trial_stats.csv",
            units="results/imi/unit_stats.csv",
            unit_table="results/imi/units.csv",
        output:
            auc=report(
                "results/figures/imi/fig2_auc.png",
                caption="../report/imi_auc.rst",
                category="Fig. 2 - validation against human judgments (IMI)",
                labels={"figure": "AUC by layer and confidence"},
            ),
            units=report(
                "results/figures/imi/units.png",
                caption="../report/imi_units.rst",
                category="Fig. 2 - validation against human judgments (IMI)",
                labels={"figure": "per-unit human score vs II"},
            ),
        log:
            "logs/figure_imi.log",
        localrule: True
        conda:
            "../../envs/analysis.yaml"
        params:
            model=IMI.figure_model,
            metric=IMI_METRICS[0],
        script:
            "../../scripts/figure_imi.py"
