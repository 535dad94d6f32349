"""Provenance recorded in every output: versions, commit, time, settings."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

_PACKAGES = ("superposition", "torch", "torchvision", "numpy", "scikit-learn", "xarray", "zarr")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"


def provenance(**settings) -> dict:
    """A JSON-safe record of what produced an output."""
    return {
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in _PACKAGES},
        "settings": jsonable(settings),
    }


def jsonable(value):
    """Round-trip through JSON so attrs never hold numpy scalars or tuples."""
    return json.loads(json.dumps(value, default=_default))


def _default(obj):
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot record {type(obj).__name__} in provenance")
