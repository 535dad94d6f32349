"""The one data contract: (image x unit) arrays and image pools as Zarr via xarray.

Model activations, brain responses and direction responses share this layout, so
every downstream step reads them alike. Writes go to a sibling ``.partial`` path
and are renamed into place only when complete, so a killed job never leaves a
store that looks finished.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import warnings

import numpy as np
import xarray as xr
import zarr

from .provenance import jsonable

# Zarr v3 warns that consolidated metadata and fixed-width strings are not yet in
# its spec; both round-trip through zarr-python and xarray, which is all we use.
warnings.filterwarnings("ignore", message="Consolidated metadata is currently not part")
warnings.filterwarnings("ignore", message="The data type .* does not have a Zarr V3 specification")


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling path; move it onto ``path`` only on success."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    _remove(tmp)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    _remove(path)
    os.replace(tmp, path)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def write_dataset(ds: xr.Dataset, path: str | os.PathLike, chunk_images: int = 1024) -> None:
    """Write a whole dataset atomically (attrs made JSON-safe), chunked along images."""
    ds = ds.copy()
    ds.attrs = jsonable(ds.attrs)
    encoding = {name: {"chunks": tuple(min(chunk_images, n) if dim == "image" else n
                                       for dim, n in var.sizes.items())}
                for name, var in ds.data_vars.items()}
    with atomic_path(path) as tmp:
        ds.to_zarr(tmp, mode="w", consolidated=True, encoding=encoding)


def open_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Open a store written by this module, loading it into memory."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no Zarr store at {path}")
    with xr.open_zarr(path, consolidated=True) as ds:
        return ds.load()


class ResponseWriter:
    """Stream an (image x unit) response matrix to Zarr one batch at a time.

    Memory stays bounded by one batch; the store appears under its final name
    only after :meth:`close` succeeds.
    """

    def __init__(self, path: str | os.PathLike, n_images: int, units: list[str],
                 attrs: dict, chunk_images: int = 1024):
        self._ctx = atomic_path(path)
        self._tmp = self._ctx.__enter__()
        group = zarr.open_group(self._tmp, mode="w")
        group.attrs.update(jsonable(attrs))
        self._array = group.create_array(
            "responses", shape=(n_images, len(units)), dtype="float32",
            chunks=(min(chunk_images, max(n_images, 1)), len(units)),
            dimension_names=["image", "unit"], fill_value=np.nan,
        )
        image = group.create_array("image", shape=(n_images,), dtype="int64",
                                   dimension_names=["image"])
        image[:] = np.arange(n_images)
        unit = group.create_array("unit", shape=(len(units),), dtype=str,
                                  dimension_names=["unit"])
        unit[:] = np.asarray(units, dtype=str)
        self.n_images = n_images
        self.filled = 0

    def write(self, batch: np.ndarray) -> None:
        stop = self.filled + len(batch)
        if stop > self.n_images:
            raise ValueError(f"more rows than the {self.n_images} images announced")
        self._array[self.filled:stop] = batch.astype(np.float32)
        self.filled = stop

    def close(self) -> None:
        if self.filled != self.n_images:
            self.abort()
            raise ValueError(f"wrote {self.filled} of {self.n_images} rows")
        zarr.consolidate_metadata(self._tmp)
        self._ctx.__exit__(None, None, None)

    def abort(self) -> None:
        try:
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)
        except RuntimeError:
            pass


def responses_dataset(responses: np.ndarray, units: list[str], attrs: dict) -> xr.Dataset:
    """Build the (image x unit) contract in memory."""
    return xr.Dataset(
        {"responses": (("image", "unit"), responses.astype(np.float32))},
        coords={"image": np.arange(responses.shape[0]), "unit": np.asarray(units, dtype=str)},
        attrs=attrs,
    )


class LazyImages:
    """A pool's images on disk, read on demand by slice or index array."""

    def __init__(self, array):
        self._array = array
        self.shape = array.shape

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        if isinstance(index, (slice, int, np.integer)):
            return np.asarray(self._array[index])
        index = np.asarray(index)
        order = np.argsort(index, kind="stable")
        out = np.empty((len(index), *self.shape[1:]), np.uint8)
        out[order] = self._array.oindex[index[order]]
        return out


def open_images(path: str | os.PathLike) -> LazyImages:
    """The ``images`` array of a pool store, read lazily."""
    return LazyImages(zarr.open_group(path, mode="r")["images"])
