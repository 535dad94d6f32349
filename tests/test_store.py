import numpy as np
import pytest

from superposition import store


def test_response_writer_round_trip(tmp_path):
    path = tmp_path / "r.zarr"
    w = store.ResponseWriter(path, 5, ["a", "b"], {"source": "m"}, chunk_images=2)
    w.write(np.ones((3, 2)))
    w.write(np.zeros((2, 2)))
    assert not path.exists()  # only the .partial store exists until close
    w.close()
    ds = store.open_dataset(path)
    assert ds["responses"].shape == (5, 2)
    assert list(ds["unit"].values) == ["a", "b"]
    assert ds.attrs["source"] == "m"
    np.testing.assert_array_equal(ds["responses"].values[:3], 1)


def test_incomplete_writer_leaves_nothing_behind(tmp_path):
    path = tmp_path / "r.zarr"
    w = store.ResponseWriter(path, 5, ["a"], {})
    w.write(np.ones((2, 1)))
    with pytest.raises(ValueError, match="wrote 2 of 5"):
        w.close()
    assert not path.exists()
    assert not (tmp_path / "r.zarr.partial").exists()


def test_failed_atomic_write_keeps_the_old_output(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with store.atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert path.read_text() == "old"


def test_lazy_images_keep_the_requested_order(tmp_path, flat_images):
    import xarray as xr

    store.write_dataset(xr.Dataset({"images": (("image", "y", "x", "channel"), flat_images)}),
                        tmp_path / "p.zarr", chunk_images=5)
    lazy = store.open_images(tmp_path / "p.zarr")
    assert len(lazy) == 24
    np.testing.assert_array_equal(lazy[np.array([7, 2, 19])], flat_images[[7, 2, 19]])
    np.testing.assert_array_equal(lazy[3:6], flat_images[3:6])


def test_a_linked_store_shares_the_bytes_and_reads_alike(tmp_path):
    w = store.ResponseWriter(tmp_path / "cache/l.zarr", 4, ["l:0", "l:1"], {"layer": "l"})
    w.write(np.arange(8.0).reshape(4, 2))
    w.close()
    assert store.link_store(tmp_path / "cache/l.zarr", tmp_path / "out/l.zarr") == "hard-linked"
    chunk = next(p for p in (tmp_path / "out/l.zarr/responses").rglob("*") if p.is_file())
    assert chunk.stat().st_nlink == 2  # one file on disk, two names
    linked = store.open_dataset(tmp_path / "out/l.zarr")
    np.testing.assert_array_equal(linked["responses"].values, np.arange(8.0).reshape(4, 2))
    assert linked.attrs["layer"] == "l"
    with pytest.raises(FileNotFoundError, match="no Zarr store"):
        store.link_store(tmp_path / "cache/missing.zarr", tmp_path / "out/m.zarr")
    assert not (tmp_path / "out/m.zarr").exists()
