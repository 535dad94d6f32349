"""The preflight and the config-time checks: bad raw inputs named before any job runs,
and settings that cannot work with the pools and layers refused."""

import io
import re
import zipfile

import numpy as np
import pytest
from PIL import Image

from superposition import preflight
from superposition.directions import n_directions
from superposition.images import zip_members
from superposition.mis import DEFAULTS as MIS, design_tasks
from superposition.models import layer_widths
from superposition.recordings import Recording, preprocess
from superposition.settings import Scoring


def _jpeg(colour) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), colour).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def good_zip(tmp_path):
    path = tmp_path / "images.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(6):
            zf.writestr(f"imgs/image{i:04d}.jpg", _jpeg((40 * i, 0, 0)))
    return path


def test_a_zip_pool_counts_its_images(good_zip):
    assert preflight.check_zip(good_zip) == 6
    assert preflight.check_zip(good_zip, n_images=4) == 4


def test_a_truncated_or_foreign_archive_is_named_with_the_fix(tmp_path, good_zip):
    truncated = tmp_path / "cut.zip"
    truncated.write_bytes(good_zip.read_bytes()[:-200])
    other = tmp_path / "other.zip"
    other.write_text("a text file with a zip name")
    for path in (truncated, other):
        with pytest.raises(ValueError, match=rf"{re.escape(str(path))} is not a readable zip "
                                             r"archive.*download or copy it again"):
            zip_members(path)


def test_a_damaged_member_or_an_undecodable_image_is_named(tmp_path, good_zip):
    data = bytearray(good_zip.read_bytes())
    start = data.index(b"\xff\xd8")  # inside the first member's JPEG
    data[start + 100:start + 140] = b"\0" * 40
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(data)
    with pytest.raises(ValueError, match="member imgs/image0000.jpg fails its checksum"):
        preflight.check_zip(damaged)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("a.jpg", _jpeg((0, 0, 0)))
        zf.writestr("b.jpg", _jpeg((0, 0, 0))[:300])  # a valid checksum of a cut JPEG
    with pytest.raises(ValueError, match=r"1 of 2 images in .*broken.zip cannot be read \(b.jpg"):
        preflight.check_zip(broken)


def test_a_truncated_jpeg_in_a_folder_is_named(tmp_path):
    for i in range(3):
        (tmp_path / f"ok{i}.jpg").write_bytes(_jpeg((0, 60 * i, 0)))
    assert preflight.check_folder(tmp_path) == 3
    (tmp_path / "cut.jpg").write_bytes(_jpeg((9, 9, 9))[:400])
    with pytest.raises(ValueError, match=r"1 of 4 images under .* cannot be read \(.*cut.jpg"):
        preflight.check_folder(tmp_path)


def test_a_check_is_cached_until_its_input_changes(tmp_path, good_zip):
    cache_file = tmp_path / "cache" / "preflight.json"
    calls = []

    def check():
        calls.append(1)
        return preflight.check_zip(good_zip)

    assert preflight.Cache(cache_file).get("k", good_zip, check) == 6
    assert preflight.Cache(cache_file).get("k", good_zip, check) == 6  # read from disk
    assert len(calls) == 1
    with zipfile.ZipFile(good_zip, "a") as zf:
        zf.writestr("more/image9999.jpg", _jpeg((1, 2, 3)))
    assert preflight.Cache(cache_file).get("k", good_zip, check) == 7
    assert len(calls) == 2


def test_response_files_are_checked_for_shape_and_finite_values(tmp_path):
    x = np.arange(40.0).reshape(4, 10)  # 4 units x 10 images
    x[2, 7] = np.nan
    x[3, 1:3] = np.inf
    path = tmp_path / "responses.npy"
    np.save(path, x)
    row = {"adapter": "npy", "path": str(path), "area": "V4"}
    cache = preflight.Cache(None)
    with pytest.raises(ValueError, match=r"responses.npy holds 3 NaN/inf values, in units "
                                         r"V4:2, V4:3 and images 1, 2, 7"):
        preflight.response_units(row, 10, pool="pool", cache=cache)
    np.save(path, np.nan_to_num(x, posinf=0.0))
    with pytest.raises(ValueError, match=r"responses.npy has 10 images but the image pool "
                                         r"pool has 12"):
        preflight.response_units(row, 12, pool="pool", cache=cache)
    assert preflight.response_units(row, 10, pool="pool", cache=cache) == 4


def test_nan_places_are_listed_by_unit_label_and_image():
    x = np.ones((30, 3))
    x[::2, 1] = np.nan
    with pytest.raises(ValueError, match=r"15 NaN/inf values, in units b and images 0, 2, 4, "
                                         r"6, 8 and 10 more"):
        preprocess(Recording(x, ["a", "b", "c"]), 30, "p")


@pytest.mark.parametrize("n_units", [3, 7, 24, 160, 2048])
def test_a_k_below_two_is_refused_with_a_ratio_that_works(n_units):
    with pytest.raises(ValueError, match="K must be at least 2") as err:
        n_directions(0.5 / n_units, n_units, method="kmeans", where=" on m layer")
    assert "kmeans on m layer" in str(err.value)
    suggested = float(re.search(r"at least ([0-9.e-]+)$", str(err.value)).group(1))
    assert n_directions(suggested, n_units, method="kmeans") >= 2
    assert n_directions(0.01, n_units, method="neurons") >= 1  # the neurons ignore K


def test_the_mis_pool_requirement_is_the_exact_minimum(rng):
    need = Scoring(metric="pixel", k=5).pool_requirements()
    n = need["scoring.mis (n_references 9 in quantile 0.25)"]
    design_tasks(rng.random((n, 2)), MIS["n_references"], n_tasks=2, quantile=MIS["quantile"],
                 seed=0)
    with pytest.raises(ValueError):
        design_tasks(rng.random((n - 1, 2)), MIS["n_references"], n_tasks=2,
                     quantile=MIS["quantile"], seed=0)


def test_layer_widths_come_from_a_forward_pass_without_weights():
    assert layer_widths("torchvision/mobilenet_v2", ["features.2", "features.14"], size=64) == {
        "features.2": 24, "features.14": 160}
    assert layer_widths("torchvision/resnet50", ["layer4"], size=224) == {"layer4": 2048}
