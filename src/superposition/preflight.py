"""The preflight: the raw inputs of a run checked before any job starts.

Snakemake deletes a job's old output before the job runs, so a bad input found in
the job (a truncated zip, a broken JPEG, a response matrix with NaN) would cost the
user the good output built from the previous input. Checked here, in the main
process, it stops the run with every output still on disk. Each check is cached
under the input's size and modification time, so an unchanged input is read once.

The checks give what the config checks need: each pool's number of images and
each response file's number of units.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from PIL import Image

from .images import folder_files, zip_members

# pool kinds whose size the config gives
SIZED_KINDS = ("photos", "shapes")
CIFAR10_SIZES = {"train": 50_000, "test": 10_000}


def _fingerprint(path: Path) -> str:
    """Size and modification time of a file, or of every file below a folder."""
    if path.is_file():
        st = path.stat()
        return f"{st.st_size}:{st.st_mtime_ns}"
    digest = hashlib.sha1()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            st = p.stat()
            digest.update(f"{p.relative_to(path)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class Cache:
    """Results of passed checks, keyed by check and input, valid while the input's
    fingerprint is unchanged. Failures are not cached: they are checked again."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self.entries = {}
        if self.path and self.path.is_file():
            try:
                self.entries = json.loads(self.path.read_text())
            except ValueError:  # a cache cut short by a kill: start afresh
                self.entries = {}

    def get(self, key: str, path: Path, compute: Callable[[], object]):
        fingerprint = _fingerprint(path)
        hit = self.entries.get(key)
        if hit and hit["fingerprint"] == fingerprint:
            return hit["result"]
        result = compute()
        self.entries[key] = {"fingerprint": fingerprint, "result": result}
        if self.path:
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")  # runs may share it
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(json.dumps(self.entries))
                os.replace(tmp, self.path)
            except OSError:  # a cache that cannot be written is only slower
                pass
        return result


def shared_cache(name: str) -> Cache:
    """A cache that every working directory shares, for checks of what is installed
    rather than of a run's inputs: ``$SUPERPOSITION_CACHE/<name>.json``, by default
    under ``$XDG_CACHE_HOME`` or ``~/.cache``."""
    root = os.environ.get("SUPERPOSITION_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "superposition"
    return Cache(Path(root) / f"{name}.json")


def check_image(file) -> str | None:
    """None if the image (a path or a file object) decodes, else why not. A JPEG is
    decoded at reduced scale (every byte is still read, so truncation shows) to keep the
    check cheap."""
    try:
        with Image.open(file) as img:
            img.draft("RGB", (64, 64))
            img.load()
    except Exception as err:  # PIL raises many types for broken files
        return str(err)
    return None


def _refuse_unreadable(names: list, problems: list, *, where: str, fix: str) -> None:
    bad = [(n, why) for n, why in zip(names, problems) if why]
    if bad:
        shown = "; ".join(f"{n}: {why}" for n, why in bad[:3])
        raise ValueError(f"{len(bad)} of {len(names)} images {where} cannot be read "
                         f"({shown}{' ...' if len(bad) > 3 else ''}): {fix}")


def check_folder(root: Path, n_images: int | None = None) -> int:
    """Decode every image of a folder pool (in parallel); its number of images."""
    files, _ = folder_files(root, n_images)
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        problems = list(pool.map(check_image, files))
    _refuse_unreadable(files, problems, where=f"under {root}",
                       fix="replace or remove them and rerun")
    return len(files)


def check_zip(archive: Path, n_images: int | None = None) -> int:
    """Check a zip pool's archive: every image member passes its checksum (checked as it
    is read) and decodes; its number of images."""
    import io
    import zipfile

    def read(zf, name):
        try:
            return zf.read(name)
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise ValueError(f"{archive} is damaged: member {name} fails its checksum ({err}); "
                             f"download or copy the archive again") from None

    names = zip_members(archive, n_images)
    with zipfile.ZipFile(archive) as zf:
        problems = [check_image(io.BytesIO(read(zf, n))) for n in names]
    _refuse_unreadable(names, problems, where=f"in {archive}", fix="replace them in the archive")
    return len(names)


def check_download(path: str | Path, cache: Cache) -> None:
    """A file the download rule fetched (``resources/datasets/<dataset>/<file>``) that is on
    disk still has its pinned checksum: a copy damaged or replaced since is named before
    any job reads it. Other paths, and files not yet fetched, pass."""
    from .downloads import DATASETS, digest_of, expected_checksum

    parts = Path(path).parts
    if len(parts) < 4 or parts[:2] != ("resources", "datasets") or not Path(path).is_file():
        return
    dataset, file = parts[2], "/".join(parts[3:])
    if file not in DATASETS.get(dataset, {}).get("files", {}):
        return
    algorithm, expected = expected_checksum(dataset, file)
    if expected is None:
        return

    def check():
        digest = digest_of(algorithm, Path(path).read_bytes())
        if digest != expected:
            raise ValueError(f"{path} has {algorithm} {digest}, expected {expected}: not the "
                             f"published file (changed or damaged since it was fetched); "
                             f"delete it, and the workflow fetches it again")
        return True

    cache.get(f"download:{Path(path).resolve()}", Path(path), check)


def check_imi_stimuli(root: Path) -> int:
    """An IMI stimulus folder follows the IMI layout and every image decodes; its number
    of images."""
    from .catch_trials import stimulus_files

    files = [root / f for f in stimulus_files(root).file]
    _refuse_unreadable(files, [check_image(f) for f in files], where=f"under {root}",
                       fix="replace them")
    return len(files)


def pool_size(kind: str, params: dict, cache: Cache) -> int | None:
    """The number of images a pool will hold, checking its input files on the way; None
    where only building the pool tells (and for inputs a download rule will fetch)."""
    n = params.get("n_images")
    if kind in SIZED_KINDS:
        return n
    if kind == "cifar10" and str(params["path"]).endswith(".zip"):
        kind = "zip"  # a copy of one split as images in class folders
    elif kind == "cifar10":
        full = CIFAR10_SIZES.get(params["split"])
        return min(n, full) if n and full else full
    path = Path(params["path"]) if "path" in params else None
    if kind == "imi_stimuli":
        return cache.get(f"{kind}:{path.resolve()}", path, lambda: check_imi_stimuli(path))
    if kind not in ("folder", "zip") or not path.exists():
        return None
    check = check_folder if kind == "folder" else check_zip
    return cache.get(f"{kind}:{path.resolve()}:{n}", path, lambda: check(path, n))


def pool_has_classes(kind: str, params: dict) -> bool | None:
    """Whether a pool's labels will be classes (CIFAR-10; a zip or folder in class
    folders or named by wnid); None where its files are not there yet (a download)."""
    from .images import class_labels

    if kind == "cifar10":
        return True
    if kind not in ("zip", "folder"):
        return False
    path = Path(params["path"])
    if not path.exists():
        return None
    if kind == "zip":
        names = zip_members(path, params.get("n_images"))
    else:
        names = [p.relative_to(path).as_posix()
                 for p in folder_files(path, params.get("n_images"))[0]]
    return class_labels(names)[1] is not None


def response_units(row: dict, n_images: int | None, *, pool: str, cache: Cache) -> int | None:
    """The number of units an ``npy`` response file keeps after preprocessing, checking
    its shape against the pool and that every value is finite; None for other adapters
    and for files a download rule will fetch."""
    from .recordings import npy_matrix, preprocess

    if row["adapter"] != "npy" or not Path(row["path"]).is_file():
        return None
    path = Path(row["path"])
    options = {k: row[k] for k in ("layout",) if k in row}

    def check():
        rec = npy_matrix(str(path), area=row["area"], **options)
        rows = rec.responses.shape[0] if n_images is None else n_images
        rec = preprocess(rec, rows, pool, min_std=row.get("min_std", 0.0))
        return len(rec.units)

    key = f"npy:{path.resolve()}:{options}:{n_images}:{row.get('min_std', 0.0)}"
    return cache.get(key, path, check)
