"""The SLURM profile without a cluster: the sbatch requests and partitions its dry runs
plan. The whole tiny DAG runs on a real one-node SLURM in tests/test_tiny_run.py."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from runs import ROOT, planned_jobs

pytestmark = pytest.mark.workflow(seconds=40)


# What runs on a GPU in the embedded default, written out by hand: a model's forward pass,
# the deep-feature metric's network where it embeds the pool (the jobs that score read the
# cached embeddings), K-means' Lloyd loop and the sparse autoencoder. Without the cache every job that scores with the network runs it.
SCORING_RULES = {"random_baseline", "psychophysics", "further_analyses", "score_directions",
                 "score_untrained", "calibrate"}


def expects_gpu(job, cached):
    if job.rule == "embed_pool":  # the pool under every metric: the deep-feature one has one
        return True
    if job.rule.startswith("find_"):  # a layer's batch of direction sets: all or none on a GPU
        on_gpu = {re.split(r"[_@]", Path(o).stem)[0] in ("kmeans", "topk") for o in job.output}
        assert len(on_gpu) == 1, job.output
        return on_gpu.pop()
    return job.rule == "cache_activations" or (not cached and job.rule in SCORING_RULES)


@pytest.mark.parametrize("device, cached, gpu_request", [
    ("cpu", True, "gpus"), ("auto", True, "gpus"), ("auto", False, "gpus"),
    ("auto", True, "gres")])
def test_every_job_asks_for_a_gpu_only_where_it_uses_one_and_lands_on_its_partition(
        tmp_path, device, cached, gpu_request):
    """No cluster needed: the embedded default under the SLURM profile, each job's sbatch
    GPU flags (--gpus, or --gres where the cluster takes only generic resources) and the
    partition the plugin picks for it from the profile's partitions."""
    from snakemake_executor_plugin_slurm.partitions import (get_best_partition,
                                                            read_partition_file)
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    partitions = read_partition_file(ROOT / "workflow/profiles/slurm/partitions.yaml")
    quiet = SimpleNamespace(info=lambda *a: None, debug=lambda *a: None,
                            warning=lambda *a: None)
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["scoring"]["cache_embeddings"] = cached
    config["gpu_request"] = gpu_request
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    jobs = planned_jobs(tmp_path, tmp_path / "config.yaml", device)
    assert {j.rule for j in jobs} >= SCORING_RULES | {"embed_pool", "find_directions",
                                                      "find_directions_gpu"} - (
        set() if cached else {"embed_pool"})
    for j in jobs:
        gpu = device != "cpu" and expects_gpu(j, cached)
        asked = gpu and gpu_request == "gpus"
        assert j.resources.get("gpu", 0) == asked, (j.rule, j.wildcards)
        job = SimpleNamespace(name=j.rule, threads=j.threads, resources=SimpleNamespace(
            get=lambda key, default=None, r=j.resources: r.get(key, default),
            gres=j.resources.get("gres")))
        flag = " --gpus=1" if gpu_request == "gpus" else " --gres=gpu:1"
        assert set_gres_string(job) == (flag if gpu else "")
        assert "slurm_partition" not in j.resources  # chosen from the partitions file
        assert get_best_partition(partitions, job, quiet) == (
            "CHANGE-ME-gpu-partition" if gpu else "CHANGE-ME-cpu-partition"), j.rule
