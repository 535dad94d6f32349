"""Public datasets the workflow can fetch itself, with their checksums.

A config names a file under ``resources/datasets/<dataset>/``; the download rule
fetches it from the dataset's base URL (which the config may override with a mirror:
a ``file://`` URL or a local folder) and checks its published checksum before anything
reads it: a sha256 or md5 sum, or git's blob id where that is what the repository pins.
"""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from pathlib import Path

from . import cowley2023

DATASETS = {
    "cowley2023_v4": {  # every session upstream (superposition.cowley2023)
        "base_url": cowley2023.BASE_URL,
        "citation": cowley2023.CITATION,
        "files": cowley2023.FILES,
    },
    "imi2023": {
        # Zenodo record of Zimmermann, Klein & Brendel's IMI dataset; the record
        # publishes md5 sums, which could not be read here (no network): the
        # download records the sha256 it got instead of checking one.
        "base_url": "https://zenodo.org/records/8131197/files",
        "citation": "Zimmermann, Klein & Brendel 2023, Scale Alone Does not Improve "
                    "Mechanistic Interpretability in Vision Models, NeurIPS (IMI dataset)",
        "files": {"responses_main.csv": None, "imagenet_exemplars_file_map.json": None},
    },
    "cifar10": {
        "base_url": "https://www.cs.toronto.edu/~kriz",
        "citation": "Krizhevsky 2009, Learning Multiple Layers of Features from Tiny Images",
        # the checksum torchvision's CIFAR10 downloader uses
        "files": {"cifar-10-python.tar.gz": "md5:c58f30108f718f92721af3b95e74349a"},
    },
}


def expected_checksum(dataset: str, file: str) -> tuple[str, str | None]:
    """(algorithm, hex digest) published for one file of a dataset; the digest is
    None where no checksum is pinned."""
    try:
        files = DATASETS[dataset]["files"]
    except KeyError:
        raise KeyError(f"unknown dataset {dataset!r}; known: {sorted(DATASETS)}") from None
    if file not in files:
        raise KeyError(f"{dataset} has no file {file!r}; known: {sorted(files)}")
    if files[file] is None:
        return "sha256", None
    algorithm, _, digest = files[file].partition(":")
    return algorithm, digest


def digest_of(algorithm: str, content: bytes) -> str:
    """A file's digest: hashlib's algorithms, and ``gitblob`` (git's object id of a file,
    sha1 over ``blob <size>\\0`` and the content)."""
    if algorithm == "gitblob":
        return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
    return hashlib.new(algorithm, content).hexdigest()


def _as_url(base: str) -> str:
    """A mirror given as a local folder, as a file:// URL."""
    return base if "://" in base else Path(base).resolve().as_uri()


def download(dataset: str, file: str, *, dest: str | Path, base_url: str | None = None) -> str:
    """Fetch one file of a dataset to ``dest``, checking its checksum where one is
    pinned; return the URL and the file's digest."""
    algorithm, expected = expected_checksum(dataset, file)
    url = f"{_as_url(base_url or DATASETS[dataset]['base_url']).rstrip('/')}/{file}"
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    try:
        with urllib.request.urlopen(url, timeout=60) as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"cannot download {url} ({err}); without a network, copy the file to "
                           f"{dest} by hand or point the config's path at a local copy") from err
    content = tmp.read_bytes()
    digest = digest_of(algorithm, content)
    if expected is not None and digest != expected:
        tmp.unlink()
        raise ValueError(f"{url} has {algorithm} {digest}, expected {expected}: not the "
                         f"published file (a damaged or changed copy); fetch it again or "
                         f"point downloads.{dataset} at the right mirror")
    tmp.replace(dest)
    sha256 = hashlib.sha256(content).hexdigest()
    if expected is None:
        return url, f"sha256:{sha256} (no published checksum pinned)"
    return url, f"{algorithm}:{digest}" + ("" if algorithm == "sha256" else f", sha256:{sha256}")
