"""The SLURM profile against a real one-node SLURM started by the test suite.

The cluster is started by tests/slurm/local_slurm.sh (Debian packages, root) and
stopped by PID at the end. Every snakemake call is wrapped in a timeout: the
SLURM plugin can wait forever on a broken status command.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from runs import ENV, ROOT, TINY

pytestmark = pytest.mark.workflow(seconds=250)

SCRIPT = ROOT / "tests/slurm/local_slurm.sh"
# What the README tells users to change in the profile, for this one-node cluster: its
# partitions (cpu, and gpu with one counted GPU), no account, squeue for job states.
LOCAL = ["--default-resources", "mem_mb=1000", "runtime=10m",
         "--slurm-partition-config", str(ROOT / "tests/slurm/partitions.yaml"),
         "--slurm-no-account", "--slurm-status-command", "squeue",
         "--slurm-init-seconds-before-status-checks", "1", "--seconds-between-status-checks", "2"]


def snakemake_slurm(target, workdir, config, *extra, timeout=300):
    cmd = ["timeout", "-k", "10", str(timeout), sys.executable, "-m", "snakemake",
           "-s", str(ROOT / "Snakefile"), target, "-d", str(workdir),
           "--workflow-profile", str(ROOT / "workflow/profiles/slurm"), *LOCAL, *extra,
           "--configfile", str(config)]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout + 30)


def edit_tiny(edit):
    cfg = yaml.safe_load(TINY.read_text())
    edit(cfg)
    return cfg


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("starting a local SLURM needs root (apt-get and daemons)")
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        pytest.skip("no SLURM and no apt-get to install Debian's")
    state = tmp_path_factory.mktemp("slurm")
    out = subprocess.run(["bash", str(SCRIPT), "start", str(state)], capture_output=True,
                         text=True, timeout=900)
    if out.returncode != 0:
        pytest.skip(f"could not start a local SLURM: {out.stderr.strip()[-800:]}")
    yield state
    stop = subprocess.run(["bash", str(SCRIPT), "stop", str(state)], capture_output=True,
                          text=True, timeout=120)
    assert stop.returncode == 0, stop.stderr
    assert "stopped slurmctld" in stop.stdout and "stopped slurmd" in stop.stdout


def every_rule_once(cfg):
    """The tiny configuration cut to the fewest jobs that still run each of its rules:
    one pool, one model on it with its untrained null beside the planted population, the
    methods the analyses need plus a shuffled-fit null and one from scikit-learn, one
    K-sweep ratio, one control."""
    cfg["image_pools"] = {"shapes": cfg["image_pools"]["shapes"]}
    cfg["models"] = {"mobilenet_v2": cfg["models"]["mobilenet_v2"] | {"pool": "shapes",
                                                                     "untrained_null": True}}
    cfg["directions"] |= {"methods": ["neurons", "kmeans", "kmeans_shuffled", "pca"],
                          "k_sweep": [{"methods": ["kmeans"], "ratios": [2]}]}
    cfg["scoring"]["controls"] = ["pixel"]
    cfg["psychophysics"]["methods"] = ["neurons"]
    cfg["figures"]["mei_methods"] = ["kmeans"]


def test_every_rule_runs_as_a_slurm_job_and_gpu_jobs_land_on_the_gpu_partition(slurm, tmp_path):
    """The whole DAG through the SLURM profile, with device auto: each job that asks for
    the cluster's one (counted) GPU goes to the gpu partition, every other to cpu."""
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(edit_tiny(every_rule_once)))
    run = tmp_path / "run"
    jobs = planned_jobs(tmp_path / "plan", config, "auto")
    assert {j.rule for j in jobs} == {j.rule for j in planned_jobs(tmp_path / "tiny", TINY,
                                                                   "auto")}
    out = snakemake_slurm("all", run, config, "--config", "device=auto", timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert (run / "results/figures/summary.png").exists()
    listed = dict(line.split(maxsplit=1) for line in subprocess.run(
        ["squeue", "-t", "all", "-h", "-o", "%i %P %T"], capture_output=True, text=True,
        timeout=30).stdout.splitlines())
    local = set(re.findall(r"^localrule (\w+):", out.stdout + out.stderr, re.M)) - {"all"}
    assert local == {"fetch_model_weights", "fetch_metric_weights", "layer_responses",
                     "record_config", "ground_truth_recovery", "results_document",
                     "accuracy_table", "claims_document"} | {
        j.rule for j in jobs if j.rule.startswith("figure_")}
    remote = [j for j in jobs if j.rule not in local]
    assert len(remote) >= 20 and any(j.resources.get("gpu") for j in remote)
    for j in remote:
        job_id = re.search(r"running as SLURM job (\d+)", (run / j.log).read_text()).group(1)
        partition = "gpu" if j.resources.get("gpu") else "cpu"
        assert listed[job_id] == f"{partition} COMPLETED", (j.rule, j.wildcards)


def test_a_failing_job_is_reported_as_failed(slurm, tmp_path):
    import pickle

    # a file only the job reads (the preflight refuses broken images before any job runs)
    wrong = tmp_path / "wrong.pkl"
    wrong.write_bytes(pickle.dumps({"images": []}))
    cfg = edit_tiny(lambda c: c["image_pools"].update(
        mine={"kind": "cadena2019", "path": str(wrong), "size": 16}))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake_slurm("results/pools/mine.zarr", tmp_path / "run", tmp_path / "config.yaml",
                          "--retries", "0")
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert re.search(r"SLURM-job '\d+' failed, SLURM status is: 'FAILED'", text)
    assert "wrong.pkl lacks" in (tmp_path / "run/logs/build_image_pool/mine.log").read_text()


def planned_jobs(tmp_path, config, device):
    """Every job a SLURM dry run plans: rule, wildcards, resources, threads and rule log."""
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-n", "-d",
         str(tmp_path), "--workflow-profile", str(ROOT / "workflow/profiles/slurm"),
         "--configfile", str(config), "--config", f"device={device}"],
        env=ENV, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    jobs = []
    for block in out.stdout.split("\n\n"):
        rule = re.search(r"^rule (\w+):", block, re.M)
        if not rule or rule.group(1) == "all":
            continue
        fields = {key: dict(kv.split("=", 1) for kv in re.search(rf"{key}: (.*)", block)
                            .group(1).split(", ")) if f"{key}:" in block else {}
                  for key in ("wildcards", "resources")}
        threads = re.search(r"threads: (\d+)", block)
        log = re.search(r"log: (.*)", block)
        output = re.search(r"output: (.*)", block)
        jobs.append(SimpleNamespace(output=output.group(1).split(", ") if output else [],
            rule=rule.group(1), wildcards=fields["wildcards"],
            resources={k: int(v) if v.isdigit() else v for k, v in fields["resources"].items()},
            threads=int(threads.group(1)) if threads else 1, log=log and log.group(1)))
    return jobs


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
