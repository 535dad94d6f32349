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
from zarr.codecs import BloscCodec

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


def link_store(src: str | os.PathLike, path: str | os.PathLike) -> str:
    """Place a copy of the store ``src`` at ``path`` atomically, as hard links where
    the file system allows (no bytes copied), else as a plain copy; says which."""
    src = Path(src)
    if not (src / "zarr.json").is_file():
        raise FileNotFoundError(f"no Zarr store at {src}")
    copied = []

    def link(a, b):
        try:
            os.link(a, b)
        except OSError:  # another file system, or links not supported
            shutil.copy2(a, b)
            copied.append(b)

    with atomic_path(path) as tmp:
        shutil.copytree(src, tmp, copy_function=link)
    return "copied" if copied else "hard-linked"


def open_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Open a store written by this module, loading it into memory."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no Zarr store at {path}")
    with xr.open_zarr(path, consolidated=True) as ds:
        return ds.load()


class ArrayWriter:
    """Stream one array to Zarr one batch of images (first axis) at a time.

    Memory stays bounded by one batch; the store, with its coordinates, appears
    under its final name only after :meth:`close` succeeds.
    """

    def __init__(self, path: str | os.PathLike, name: str, shape: tuple, dtype, dims: list[str],
                 coords: dict[str, tuple[str, np.ndarray]], attrs: dict, chunk_images: int,
                 fill_value=None, compressors="auto"):
        self._ctx = atomic_path(path)
        self._tmp = self._ctx.__enter__()
        group = zarr.open_group(self._tmp, mode="w")
        group.attrs.update(jsonable(attrs))
        self._array = group.create_array(
            name, shape=shape, dtype=dtype, chunks=(min(chunk_images, max(shape[0], 1)),
                                                    *shape[1:]),
            dimension_names=dims, fill_value=fill_value, compressors=compressors)
        extra = [c for c, (dim, _) in coords.items() if c != dim]
        if extra:  # non-dimension coordinates, as xarray marks them
            self._array.attrs["coordinates"] = " ".join(extra)
        for cname, (dim, values) in coords.items():
            values = np.asarray(values)
            arr = group.create_array(cname, shape=values.shape,
                                     dtype=str if values.dtype.kind in "UO" else values.dtype,
                                     dimension_names=[dim])
            arr[:] = values.astype(str) if values.dtype.kind in "UO" else values
        self.n_images = shape[0]
        self.filled = 0

    def write(self, batch: np.ndarray) -> None:
        stop = self.filled + len(batch)
        if stop > self.n_images:
            raise ValueError(f"more rows than the {self.n_images} images announced")
        self._array[self.filled:stop] = batch.astype(self._array.dtype)
        self.filled = stop

    def written(self) -> np.ndarray:
        """Every row written so far, read back."""
        return np.asarray(self._array[:self.filled])

    def add_array(self, name: str, values: np.ndarray, dims: list[str]) -> None:
        """A second array in the same store, written whole before :meth:`close`."""
        group = zarr.open_group(self._tmp, mode="r+")
        group.create_array(name, data=values, dimension_names=dims)

    def close(self, attrs: dict | None = None) -> None:
        """Finish the store, adding ``attrs`` known only now (e.g. what reading skipped)."""
        if self.filled != self.n_images:
            self.abort()
            raise ValueError(f"wrote {self.filled} of {self.n_images} rows")
        if attrs:
            zarr.open_group(self._tmp, mode="r+").attrs.update(jsonable(attrs))
        zarr.consolidate_metadata(self._tmp)
        self._ctx.__exit__(None, None, None)

    def abort(self) -> None:
        try:
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)
        except RuntimeError:
            pass


class ResponseWriter(ArrayWriter):
    """Stream an (image x unit) response matrix, the data contract, batch by batch."""

    def __init__(self, path: str | os.PathLike, n_images: int, units: list[str],
                 attrs: dict, chunk_images: int = 1024):
        super().__init__(path, "responses", (n_images, len(units)), "float32", ["image", "unit"],
                         {"image": ("image", np.arange(n_images)),
                          "unit": ("unit", np.asarray(units, dtype=str))},
                         attrs, chunk_images, fill_value=np.nan)


class PoolWriter(ArrayWriter):
    """Stream an image pool (uint8 images with per-image coordinates) batch by batch.

    Pixels are compressed losslessly with Blosc (zstd level 1 on bit-shuffled bytes): as
    small as zarr's default zstd on photographs, at half the write time. Chunks of 64
    images are compressed concurrently as a batch is written, and a random read of one
    image decompresses 64, not 256 (BENCHMARKS.md)."""

    def __init__(self, path: str | os.PathLike, shape: tuple, coords: dict[str, np.ndarray],
                 attrs: dict, chunk_images: int = 64):
        super().__init__(path, "images", shape, "uint8", ["image", "y", "x", "channel"],
                         {"image": ("image", np.arange(shape[0]))}
                         | {c: ("image", v) for c, v in coords.items()},
                         attrs, chunk_images, fill_value=0,
                         compressors=BloscCodec(cname="zstd", clevel=1, shuffle="bitshuffle"))


def responses_dataset(responses: np.ndarray, units: list[str], attrs: dict) -> xr.Dataset:
    """Build the (image x unit) contract in memory."""
    return xr.Dataset(
        {"responses": (("image", "unit"), responses.astype(np.float32))},
        coords={"image": np.arange(responses.shape[0]), "unit": np.asarray(units, dtype=str)},
        attrs=attrs,
    )


class LazyRows:
    """An array on disk (a pool's images, its embeddings), read on demand by slice or
    index array along the first (image) axis."""

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
        out = np.empty((len(index), *self.shape[1:]), self._array.dtype)
        out[order] = self._array.oindex[index[order]]
        return out


def open_attrs(path: str | os.PathLike) -> dict:
    """A store's attributes, without reading its arrays."""
    return dict(zarr.open_group(path, mode="r").attrs)


def open_images(path: str | os.PathLike):
    """A pool's images, read lazily: its ``images`` array, or, for a pool kept in place,
    its files (checked unchanged), decoded as they are read."""
    group = zarr.open_group(path, mode="r")
    if "images" in group:
        return LazyRows(group["images"])
    from .images import InPlace

    where = group.attrs["in_place"]
    return InPlace(where["root"], list(group["factor_file"][:]), where["size"],
                   group["file_stat"][:])
