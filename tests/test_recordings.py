import hashlib
import zipfile

import numpy as np
import pytest
from PIL import Image

from superposition import downloads
from superposition.directions import find_directions
from superposition.images import image_batches, image_zip
from superposition.recordings import Recording, npy_matrix, preprocess
from superposition.recovery import recovery_scores


def _zip(path, names):
    with zipfile.ZipFile(path, "w") as zf:
        for i, name in enumerate(names):
            img = Image.new("RGB", (12, 12), (i * 30, 0, 0))
            from io import BytesIO

            buf = BytesIO()
            img.save(buf, format="JPEG")
            zf.writestr(name, buf.getvalue())


@pytest.mark.parametrize("prefix", ["", "images_190923/"])
def test_zip_pool_orders_images_by_file_name_with_or_without_a_folder(tmp_path, prefix):
    names = [f"{prefix}image{i:04d}.jpg" for i in (3, 1, 2)]
    _zip(tmp_path / "s.zip", names)
    pool = image_zip(str(tmp_path / "s.zip"), size=8)
    assert pool.labels == ["image0001", "image0002", "image0003"]
    # image0001 was written second, with red level 30
    images = np.concatenate(list(image_batches(pool.images, 2, workers=2)))
    assert abs(int(images[0, 4, 4, 0]) - 30) < 12


def test_npy_adapter_reads_either_layout_and_checks_the_image_count(tmp_path):
    data = np.arange(12, dtype=float).reshape(3, 4)  # 3 units x 4 images
    np.save(tmp_path / "r.npy", data)
    rec = npy_matrix(str(tmp_path / "r.npy"), "units_by_images", "V4")
    assert rec.responses.shape == (4, 3)
    assert rec.units == ["V4:0", "V4:1", "V4:2"]
    assert npy_matrix(str(tmp_path / "r.npy"), "images_by_units").responses.shape == (3, 4)
    with pytest.raises(ValueError, match="has 4 images but the image pool v4 has 5"):
        preprocess(rec, 5, "v4")


def test_preprocessing_drops_flat_units_and_z_scores():
    x = np.column_stack([np.arange(6.0), np.ones(6), 2 * np.arange(6.0)])
    rec = preprocess(Recording(x, ["a", "b", "c"]), 6, "p", zscore=True)
    assert rec.units == ["a", "c"]
    np.testing.assert_allclose(rec.responses.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(rec.responses.std(0), 1)
    assert rec.info["dropped_units"] == ["b"]


def test_nan_responses_are_refused():
    x = np.ones((3, 2))
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        preprocess(Recording(x, ["a", "b"]), 3, "p")


def test_download_checks_the_sha256(tmp_path, monkeypatch):
    src = tmp_path / "mirror" / "f.bin"
    src.parent.mkdir()
    src.write_bytes(b"published bytes")
    good = hashlib.sha256(b"published bytes").hexdigest()
    monkeypatch.setitem(downloads.DATASETS, "demo",
                        {"base_url": "", "files": {"f.bin": f"sha256:{good}"}})
    url, digest = downloads.download("demo", "f.bin", dest=tmp_path / "out/f.bin",
                                     base_url=(tmp_path / "mirror").as_uri())
    assert url.endswith("mirror/f.bin") and digest == f"sha256:{good}"
    assert (tmp_path / "out/f.bin").read_bytes() == b"published bytes"
    src.write_bytes(b"tampered")
    with pytest.raises(ValueError, match="not the published file"):
        downloads.download("demo", "f.bin", dest=tmp_path / "out2/f.bin",
                           base_url=(tmp_path / "mirror").as_uri())
    assert not (tmp_path / "out2/f.bin").exists()


def test_download_without_a_pinned_checksum_records_the_digest(tmp_path, monkeypatch):
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "r.csv").write_bytes(b"a,b")
    monkeypatch.setitem(downloads.DATASETS, "demo", {"base_url": "", "files": {"r.csv": None}})
    _, digest = downloads.download("demo", "r.csv", dest=tmp_path / "r.csv",
                                   base_url=(tmp_path / "mirror").as_uri())
    assert digest.startswith(f"sha256:{hashlib.sha256(b'a,b').hexdigest()}")
    assert "no published checksum" in digest


def test_unreachable_download_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setitem(downloads.DATASETS, "demo", {"base_url": "", "files": {"f": "sha256:0"}})
    with pytest.raises(RuntimeError, match="copy the file to"):
        downloads.download("demo", "f", dest=tmp_path / "f",
                           base_url=(tmp_path / "absent").as_uri())


def test_shuffle_control_loses_the_population_structure(rng):
    truth = np.abs(rng.normal(size=(4, 8))) * (rng.random((4, 8)) < 0.4) + np.eye(4, 8)
    codes = np.eye(4)[rng.integers(0, 4, 600)] * rng.uniform(1, 2, (600, 1))
    x = codes @ truth + 0.02 * rng.random((600, 8))
    real = recovery_scores(find_directions(x, "kmeans", n_components=4, seed=0).components, truth)
    shuffled = recovery_scores(
        find_directions(x, "kmeans_shuffled", n_components=4, seed=0).components, truth)
    assert real["matched_cosine"] > 0.95
    assert shuffled["matched_cosine"] < real["matched_cosine"] - 0.1


def test_neurons_keep_their_own_labels_after_flat_units_are_dropped(tmp_path):
    """Unit V4:1 stays V4:1 in the direction store and the score tables when V4:0 was
    dropped as flat: a score maps back to the right neuron."""
    import xarray as xr

    from superposition import store
    from superposition.pipeline.directions import find_direction_sets

    x = np.column_stack([np.ones(8), np.arange(8.0), np.arange(8.0) ** 2])
    rec = preprocess(Recording(x, ["V4:0", "V4:1", "V4:2"]), 8, "p", zscore=False)
    responses = tmp_path / "V4.zarr"
    store.write_dataset(store.responses_dataset(rec.responses, rec.units, {
        "source": "v4", "layer": "V4", "kind": "brain", "pool": "p", "provenance": {}}),
        responses)
    out = tmp_path / "neurons.zarr"
    find_direction_sets(str(responses), sets=[{"name": "neurons", "k_ratio": 1.0, "options": {}}],
                        seed=0, outs=[str(out)])
    assert list(xr.open_zarr(out)["direction"].values) == ["V4:1", "V4:2"]
