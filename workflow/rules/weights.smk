# Pretrained weights -> resources/weights. Local rules: compute nodes often have
# no network, so downloads happen on the submitting host and compute rules only
# read the files.


rule fetch_model_weights:
    output:
        directory("resources/weights/models/{source}"),
    log:
        "logs/fetch_model_weights/{source}.log",
    localrule: True
    conda:
        "../../envs/torch.yaml"
    params:
        model=lambda wc: MODELS[wc.source],
    script:
        "../../scripts/fetch_model_weights.py"


rule fetch_metric_weights:
    output:
        directory("resources/weights/metrics/{metric}"),
    log:
        "logs/fetch_metric_weights/{metric}.log",
    localrule: True
    conda:
        "../../envs/torch.yaml"
    script:
        "../../scripts/fetch_metric_weights.py"
