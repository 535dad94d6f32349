import numpy as np
import pandas as pd
import pytest
from PIL import Image

from superposition.images import POOLS, image_batches, image_folder, read_image


def test_photo_crops_are_deterministic_and_real():
    a = POOLS.get("photos")(n_images=20, size=16, seed=5)
    b = POOLS.get("photos")(n_images=20, size=16, seed=5)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.images.shape == (20, 16, 16, 3)
    assert len(set(a.labels)) > 3  # several source photos
    assert a.images.std() > 10


def test_shapes_record_their_factors():
    pool = POOLS.get("shapes")(n_images=40, size=24, seed=0)
    assert pool.images.shape == (40, 24, 24, 3)
    assert set(pool.factors) >= {"shape", "colour", "frequency", "orientation", "size", "x", "y"}
    assert set(np.unique(pool.factors["shape"])) <= {0, 1, 2, 3}
    red = pool.images[pool.factors["colour"] == 0]
    blue = pool.images[pool.factors["colour"] == 2]
    # the shape's colour shows in the channel means
    assert red[..., 0].mean() - red[..., 2].mean() > blue[..., 0].mean() - blue[..., 2].mean()


def test_folder_pool_reads_images_with_their_folder_as_label(tmp_path):
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.new("RGB", (20, 30), (i * 40, 0, 0)).save(tmp_path / cls / f"{i}.png")
    pool = image_folder(str(tmp_path), size=8)
    assert pool.images.shape == (6, 8, 8, 3)
    assert pool.labels == ["cats"] * 3 + ["dogs"] * 3


def test_a_folder_pool_streams_in_order_with_bounded_memory(tmp_path):
    """Decoded by 3 threads, batch by batch: the store holds each file resized, in path
    order, and its provenance counts the images converted to RGB."""
    import zarr

    from superposition.images import resize
    from superposition.pipeline.images import build_pool

    rng = np.random.default_rng(0)
    for i in range(23):
        mode = "RGBA" if i % 7 == 0 else "L" if i % 5 == 0 else "RGB"
        pixels = rng.integers(0, 256, (12, 10, 4 if mode == "RGBA" else 1 if mode == "L" else 3),
                              np.uint8)
        Image.fromarray(pixels.squeeze(), mode).save(tmp_path / f"{i:03d}.png")
    build_pool("p", kind="folder", params={"path": str(tmp_path), "size": 8}, seed=0,
               out=str(tmp_path / "p.zarr"), workers=3)
    files = sorted(tmp_path.glob("*.png"))
    expected = np.stack([resize(read_image(f), 8) for f in files])
    group = zarr.open_group(tmp_path / "p.zarr", mode="r")
    np.testing.assert_array_equal(group["images"][:], expected)
    assert list(group["factor_file"][:]) == [f.name for f in files]
    assert group.attrs["provenance"]["settings"]["info"]["converted_to_rgb"] == {"L": 4, "RGBA": 4}


def test_a_folder_kept_in_place_reads_alike_and_refuses_a_changed_file(tmp_path):
    from superposition.pipeline.images import build_pool
    from superposition.pipeline.io import pool_images, pool_table

    rng = np.random.default_rng(1)
    folder = tmp_path / "images"
    for cls in ("a", "b"):
        (folder / cls).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 256, (20, 14, 3), np.uint8)).save(
                folder / cls / f"{i}.png")
    options = {"path": str(folder), "size": 8}
    build_pool("px", kind="folder", params=options, seed=0, out=str(tmp_path / "px.zarr"))
    build_pool("ip", kind="folder", params=options | {"store": "in_place"}, seed=0,
               out=str(tmp_path / "ip.zarr"))
    pixels, in_place = pool_images(str(tmp_path / "px.zarr")), pool_images(str(tmp_path / "ip.zarr"))
    assert in_place.shape == pixels.shape == (12, 8, 8, 3)
    for index in (slice(None), slice(3, 9), np.array([11, 0, 5]), 4):
        np.testing.assert_array_equal(in_place[index], pixels[index])
    pd.testing.assert_frame_equal(pool_table(str(tmp_path / "ip.zarr")),
                                  pool_table(str(tmp_path / "px.zarr")))
    assert not (tmp_path / "ip.zarr/images").exists()  # names, sizes and times only
    Image.new("RGB", (20, 14)).save(folder / "b" / "3.png")  # the folder changes afterwards
    with pytest.raises(ValueError, match="1 images under .* changed .* b/3.png.*--forcerun"):
        pool_images(str(tmp_path / "ip.zarr"))


def test_corrupt_image_is_named(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "good.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(ValueError, match="broken.jpg"):
        list(image_batches(image_folder(str(tmp_path), size=8).images, 4))
    with pytest.raises(ValueError, match="cannot read image"):
        read_image(tmp_path / "broken.jpg")


def test_missing_folder_says_which_setting_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="image_pools"):
        image_folder(str(tmp_path / "nope"), size=8)
