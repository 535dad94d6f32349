"""Public datasets the workflow can fetch itself, with their checksums.

A config names a file under ``resources/datasets/<dataset>/``; the download rule
fetches it from the dataset's base URL (which the config may override, e.g. with
a ``file://`` mirror) and checks its published checksum before anything reads it.
"""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from pathlib import Path

DATASETS = {
    "cowley2023_v4": {
        "base_url": "https://raw.githubusercontent.com/cowleygroup/V4_compact_models/"
                    "f4552ad9d34a466ebc66658f72a08a8e5038f1cf/data_V4_responses",
        "citation": "Cowley, Stan, Pillow & Smith 2023, Compact deep neural network models of "
                    "visual cortex, bioRxiv (GPL-3.0 repository)",
        "files": {
            "responses_repeat_averaged/responses_190923.npy":
                "sha256:741672d36541ce39930c8a3b5bd1cfd33c187aa47b1549c9c5569bc21aa97a28",
            "responses_repeat_averaged/responses_201025.npy":
                "sha256:f729f3dc0d29aa38bd380c0da9e39aba916f9e2580949929b65d1714e7217a8a",
            "images/images_190923.zip":
                "sha256:e99a4df1c7476bdc4d565ff4408bc421976ecc3a22c41af6bfd0cfbddb508c0c",
            "images/images_201025.zip":
                "sha256:3abb63679107665eab7220bdeaf7863832a1df943bf3d7792501f5082a55b2e8",
        },
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


def download(dataset: str, file: str, dest: str | Path, base_url: str | None = None) -> str:
    """Fetch one file of a dataset to ``dest``, checking its checksum where one is
    pinned; return the URL and the file's digest."""
    algorithm, expected = expected_checksum(dataset, file)
    url = f"{(base_url or DATASETS[dataset]['base_url']).rstrip('/')}/{file}"
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
    digest = hashlib.new(algorithm, tmp.read_bytes()).hexdigest()
    if expected is not None and digest != expected:
        tmp.unlink()
        raise ValueError(f"{url} has {algorithm} {digest}, expected {expected}: not the "
                         f"published file")
    tmp.replace(dest)
    return url, f"{algorithm}:{digest}" + ("" if expected else " (no published checksum pinned)")
