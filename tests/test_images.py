import numpy as np
import pytest
from PIL import Image

from superposition.images import POOLS, image_folder, read_image


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


def test_corrupt_image_is_named(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "good.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(ValueError, match="broken.jpg"):
        image_folder(str(tmp_path), size=8)
    with pytest.raises(ValueError, match="cannot read image"):
        read_image(tmp_path / "broken.jpg")


def test_missing_folder_says_which_setting_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="image_pools"):
        image_folder(str(tmp_path / "nope"), size=8)
