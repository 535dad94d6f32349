# Reproduces Klindt et al. (2023), "Identifying Interpretable Visual Features in
# Artificial and Biological Neural Systems", from raw inputs:
# images -> activations | brain responses -> directions -> Interpretability Index
# -> in-silico psychophysics -> figures and report.

from snakemake.utils import min_version

min_version("9.0")


# The embedded default, unless config files are named on the command line: then they
# alone make the configuration (layer files explicitly, e.g.
# --configfile config/config.yaml config/v4.yaml).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/images.smk"
include: "workflow/rules/weights.smk"
include: "workflow/rules/activations.smk"
include: "workflow/rules/brain.smk"
include: "workflow/rules/directions.smk"
include: "workflow/rules/scoring.smk"
include: "workflow/rules/psychophysics.smk"
include: "workflow/rules/analyses.smk"
include: "workflow/rules/imi.smk"
include: "workflow/rules/figures.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        all_figures(),
