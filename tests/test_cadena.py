"""Cadena et al. 2019 macaque V1, on a fixture pickle in the dataset's format."""

import pickle

import numpy as np
import pytest
import yaml

from superposition.images import cadena_images
from superposition.recordings import cadena2019, split_half_reliability
from superposition.pipeline.io import read_table
from runs import ROOT, snakemake


@pytest.fixture
def cadena_pickle(tmp_path, rng):
    """30 grey 140 px images (20 original, 10 conv1), 4 repeats x 5 units, some NaN repeats.

    Unit 0 fires with image brightness (reliable); unit 4 is pure noise (unreliable).
    """
    n, units = 30, 5
    brightness = rng.uniform(0, 255, n)
    images = np.broadcast_to(brightness[:, None, None], (n, 140, 140)).astype(np.float32).copy()
    signal = np.column_stack([brightness / 50, rng.uniform(0, 5, (n, 3)), np.zeros(n)])
    responses = signal[None] + rng.normal(0, 0.3, (4, n, units))
    responses[..., 4] = rng.normal(0, 1, (4, n))
    responses[2:, 0, 1] = np.nan  # image 0, unit 1: 2 valid repeats
    responses[1:, 1, 2] = np.nan  # image 1, unit 2: 1 valid repeat -> filled
    types = np.array(["original"] * 20 + ["conv1"] * 10)
    path = tmp_path / "cadena_ploscb_data.pkl"
    with open(path, "wb") as fh:
        pickle.dump({"images": images, "responses": responses, "image_types": types,
                     "subject_id": np.zeros(units)}, fh)
    return path, brightness, responses


def test_adapter_averages_valid_repeats_of_original_images(cadena_pickle):
    path, _, responses = cadena_pickle
    rec = cadena2019(str(path))
    assert rec.responses.shape == (20, 5)
    np.testing.assert_allclose(rec.responses[0, 1], np.nanmean(responses[:, 0, 1]))
    filled = rec.responses[1, 2]
    others = np.nanmean(responses[:, 2:20, 2], axis=0)
    np.testing.assert_allclose(filled, np.mean(np.r_[np.nanmean(responses[:, 0, 2]), others]))
    assert rec.info["filled_pairs"] == 1


def test_reliability_filter_drops_noise_units(cadena_pickle):
    path, _, responses = cadena_pickle
    rel = split_half_reliability(responses[:, :20])
    assert rel[0] > 0.9 and abs(rel[4]) < 0.6
    rec = cadena2019(str(path), min_reliability=0.7)
    assert "V1:0" in rec.units and "V1:4" not in rec.units


def test_pool_crops_resizes_and_tiles_to_rgb(cadena_pickle):
    path, brightness, _ = cadena_pickle
    pool = cadena_images(str(path), size=32, crop=80, image_types=("original", "conv1"))
    assert pool.images.shape == (30, 32, 32, 3)
    np.testing.assert_allclose(pool.images[:, 16, 16, 1], brightness.astype(np.uint8), atol=1)
    assert pool.labels[-1] == "conv1"


def test_wrong_pickle_is_named(tmp_path):
    path = tmp_path / "x.pkl"
    path.write_bytes(pickle.dumps({"images": np.zeros((2, 4, 4))}))
    with pytest.raises(ValueError, match="not the Cadena et al. 2019 pickle"):
        cadena2019(str(path))


@pytest.mark.workflow(seconds=30)
def test_cadena_runs_through_the_workflow(cadena_pickle, tmp_path):
    path, _, _ = cadena_pickle
    cfg = yaml.safe_load((ROOT / "tests/data/config.yaml").read_text())
    cfg["models"] = {}
    cfg["image_pools"] = {"v1": {"kind": "cadena2019", "path": str(path), "size": 32}}
    cfg["brain"] = {"cadena": {"adapter": "cadena2019", "path": str(path), "pool": "v1",
                               "area": "V1", "min_reliability": 0.5}}
    # 20 original stimuli: MIS draws 10 images a side from the top and bottom halves, the
    # low-level baseline fits a linear model without hinges (5 coefficients, each fit on
    # 16 images; degree 2 with hinges has 27)
    cfg["scoring"].update(mis={"quantile": 0.5},
                          lowlevel_baseline={"degree": 1, "hinges": False})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake("results/scores/cadena/V1/kmeans.csv", "--cores", 2, "-d", tmp_path / "run",
                    "--configfile", tmp_path / "config.yaml")
    assert out.returncode == 0, out.stderr[-3000:]
    scores = read_table(tmp_path / "run/results/scores/cadena/V1/kmeans.csv")
    assert scores.source.unique().tolist() == ["cadena"]
