"""Running the workflow from a test: the snakemake command as users type it, in this
checkout, the tiny config with one edit, and the same command through the SLURM profile
on a one-node SLURM that the suite starts (tests/slurm/local_slurm.sh)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "config.yaml"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
       "HF_HUB_OFFLINE": "1"}


def snakemake(*args, cwd=ROOT, timeout=600, env=None, **kw):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, env=ENV | (env or {}), capture_output=True, text=True,
                          timeout=timeout, **kw)


def write_config(tmp_path, edit):
    """The tiny config with edit(cfg) applied, written to tmp_path/config.yaml."""
    cfg = yaml.safe_load(TINY.read_text())
    edit(cfg)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


SLURM_SCRIPT = ROOT / "tests/slurm/local_slurm.sh"
# What the README tells users to change in the profile, for this one-node cluster: its
# partitions (cpu, and gpu with one counted GPU), no account, squeue for job states.
SLURM_LOCAL = ["--default-resources", "mem_mb=1000", "runtime=10m",
               "--slurm-partition-config", str(ROOT / "tests/slurm/partitions.yaml"),
               "--slurm-no-account", "--slurm-status-command", "squeue",
               "--slurm-init-seconds-before-status-checks", "1",
               "--seconds-between-status-checks", "2"]


def start_slurm(state: Path) -> str | None:
    """Start the local one-node SLURM (installing Debian's packages if needed), with its
    state in ``state``; None where it started, else why it cannot start here."""
    if os.geteuid() != 0:
        return "starting a local SLURM needs root (apt-get and daemons)"
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        return "no SLURM and no apt-get to install Debian's"
    out = subprocess.run(["bash", str(SLURM_SCRIPT), "start", str(state)],
                         capture_output=True, text=True, timeout=900)
    return None if out.returncode == 0 else (
        f"could not start a local SLURM: {out.stderr.strip()[-800:]}")


def stop_slurm(state: Path) -> str:
    """Stop the daemons start_slurm started, by PID; what the script printed."""
    stop = subprocess.run(["bash", str(SLURM_SCRIPT), "stop", str(state)],
                          capture_output=True, text=True, timeout=120)
    assert stop.returncode == 0, stop.stderr
    return stop.stdout


def snakemake_slurm(target, workdir, *configs, extra=(), timeout=300):
    """The workflow through the SLURM profile, wrapped in a timeout: the SLURM plugin can
    wait forever on a broken status command."""
    cmd = ["timeout", "-k", "10", str(timeout), sys.executable, "-m", "snakemake",
           "-s", str(ROOT / "Snakefile"), target, "-d", str(workdir),
           "--workflow-profile", str(ROOT / "workflow/profiles/slurm"), *SLURM_LOCAL, *extra,
           "--configfile", *map(str, configs)]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout + 30)


def planned_jobs(tmp_path, config, device):
    """Every job a SLURM dry run plans: rule, wildcards, resources, threads and rule log."""
    out = snakemake("-n", "-d", tmp_path, "--workflow-profile",
                    ROOT / "workflow/profiles/slurm", "--configfile", config,
                    "--config", f"device={device}", timeout=120)
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
        jobs.append(SimpleNamespace(
            output=output.group(1).split(", ") if output else [], rule=rule.group(1),
            wildcards=fields["wildcards"],
            resources={k: int(v) if v.isdigit() else v for k, v in fields["resources"].items()},
            threads=int(threads.group(1)) if threads else 1, log=log and log.group(1)))
    return jobs


def with_absolute_paths(config: Path, tmp_path: Path) -> Path:
    """``config`` written to ``tmp_path`` with every relative path in it that exists from
    the checkout (``../shared/...``) made absolute, for a run in another folder."""
    def walk(value):
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and value.startswith("../") and (ROOT / value).exists():
            return str((ROOT / value).resolve())
        return value

    out = tmp_path / f"absolute_{config.name}"
    out.write_text(yaml.safe_dump(walk(yaml.safe_load(config.read_text()))))
    return out
