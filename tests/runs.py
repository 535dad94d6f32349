"""Running the workflow from a test: the snakemake command as users type it, in this
checkout, and the tiny config with one edit."""

import os
import subprocess
import sys
from pathlib import Path

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
