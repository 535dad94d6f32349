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

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests/slurm/local_slurm.sh"
TINY = ROOT / "tests/data/config.yaml"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
       "HF_HUB_OFFLINE": "1"}
# What the README tells users to change in the profile, for this one-node cluster:
LOCAL = ["--default-resources", "slurm_partition=debug", "mem_mb=1000", "runtime=10m",
         "--set-resources", "find_directions_gpu:slurm_partition=debug",  # no GPU partition
         "--slurm-no-account", "--slurm-status-command", "squeue",
         "--slurm-init-seconds-before-status-checks", "1", "--seconds-between-status-checks", "2"]


def snakemake_slurm(target, workdir, config, *extra, timeout=300):
    cmd = ["timeout", "-k", "10", str(timeout), sys.executable, "-m", "snakemake",
           "-s", str(ROOT / "Snakefile"), target, "-d", str(workdir),
           "--workflow-profile", str(ROOT / "workflow/profiles/slurm"), *LOCAL, *extra,
           "--configfile", str(config)]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout + 30)


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


def test_a_subset_of_the_dag_runs_as_slurm_jobs(slurm, tmp_path):
    target = "results/directions/planted/sim/kmeans.zarr"
    out = snakemake_slurm(target, tmp_path, TINY)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert (tmp_path / target).exists()
    ids = re.findall(r"submitted with SLURM jobid (\d+)", out.stdout + out.stderr)
    assert len(ids) == 3  # pool -> synthetic population -> k-means
    listed = subprocess.run(["squeue", "-t", "all", "-h", "-o", "%i %T"], capture_output=True,
                            text=True, timeout=30).stdout
    for job in ids:
        assert f"{job} COMPLETED" in listed
    log = (tmp_path / "logs/find_directions/planted/sim/kmeans.log").read_text()
    assert re.search(r"running as SLURM job (\d+)", log).group(1) in ids


def test_a_failing_job_is_reported_as_failed(slurm, tmp_path):
    import pickle

    # a file only the job reads (the preflight refuses broken images before any job runs)
    wrong = tmp_path / "wrong.pkl"
    wrong.write_bytes(pickle.dumps({"images": []}))
    cfg = yaml.safe_load(TINY.read_text())
    cfg["image_pools"]["mine"] = {"kind": "cadena2019", "path": str(wrong), "size": 16}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake_slurm("results/pools/mine.zarr", tmp_path / "run", tmp_path / "config.yaml",
                          "--retries", "0")
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert re.search(r"SLURM-job '\d+' failed, SLURM status is: 'FAILED'", text)
    assert "wrong.pkl lacks" in (tmp_path / "run/logs/build_image_pool/mine.log").read_text()


def test_gpu_rules_resolve_to_one_gpu_in_a_slurm_dry_run(tmp_path):
    """No cluster needed: the profile's resources, turned into sbatch flags by the plugin."""
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-n", "-d",
         str(tmp_path), "--workflow-profile", str(ROOT / "workflow/profiles/slurm"),
         "--configfile", str(ROOT / "config/config.yaml")],
        env=ENV, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    blocks = out.stdout.split("\n\n")
    for rule, gpus in (("cache_activations", 1), ("score_directions", 1),
                       ("find_directions_gpu", 1), ("find_directions", 0),
                       ("build_image_pool", 0)):
        block = next(b for b in blocks if f"rule {rule}:" in b)
        res = dict(kv.split("=", 1) for kv in
                   re.search(r"resources: (.*)", block).group(1).split(", "))
        assert int(res.get("gpu", 0)) == gpus
        flags = set_gres_string(SimpleNamespace(resources=SimpleNamespace(
            get=lambda key, default=None, r=res: r.get(key, default))))
        assert flags == (" --gpus=1" if gpus else "")
        if gpus:
            assert res["slurm_partition"] == "CHANGE-ME-gpu-partition"
