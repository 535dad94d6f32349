# Pretrained weights -> resources/weights. Local rules: compute nodes often have
# no network, so downloads happen on the submitting host and compute rules only
# read the files.


rule fetch_model_weights:
    output:
        "resources/weights/models/{source}.pth",
    params:
        architecture=lambda wc: MODELS[wc.source]["architecture"],
        tag=lambda wc: MODELS[wc.source]["weights"],
    localrule: True
    log:
        "logs/fetch_model_weights/{source}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../../scripts/fetch_model_weights.py"


rule fetch_metric_weights:
    output:
        "resources/weights/metrics/{metric}.pth",
    localrule: True
    log:
        "logs/fetch_metric_weights/{metric}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../../scripts/fetch_metric_weights.py"
