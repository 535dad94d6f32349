"""The IMI catch-trial units as a real positive control: their stimulus layout, and
scores that must find built-to-be-easy tasks easy (and that a score stuck at chance
cannot pass)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from superposition.catch_trials import EASY, is_easy, stimulus_files, task_rows, unit_scores
from superposition.images import POOLS, image_batches
from superposition.preflight import Cache, pool_size

SHARED = Path(__file__).resolve().parents[2] / "shared/research-data/imi_catch_trials"


def _stimuli(root: Path, units=("unit_a", "unit_b"), n=3) -> Path:
    for u, unit in enumerate(units):
        folder = root / unit / f"channel_{u + 1}" / "natural_images"
        folder.mkdir(parents=True)
        for side, level in (("max", 250), ("min", 5)):
            for i in range(n):
                Image.new("RGB", (20, 20), (level, 40 * u, 10 * i)).save(folder / f"{side}_{i}.png")
    (root / "SOURCE.md").write_text("not an image: ignored")
    return root


def test_the_layout_is_read_unit_by_unit_max_before_min(tmp_path):
    table = stimulus_files(_stimuli(tmp_path))
    assert list(table.unit) == ["unit_a"] * 6 + ["unit_b"] * 6
    assert list(table.side[:6]) == ["max"] * 3 + ["min"] * 3
    assert list(table["rank"][:3]) == [0, 1, 2] and list(table.channel.unique()) == [1, 2]
    pool = POOLS.get("imi_stimuli")(path=str(tmp_path), size=8)
    assert pool.labels[0] == "unit_a/channel_1/max_0"
    assert pool.labels[-1] == "unit_b/channel_2/min_2"
    images = np.concatenate(list(image_batches(pool.images, 4, workers=1)))
    assert images.shape == (12, 8, 8, 3) and images[0, 4, 4, 0] > 200 > images[3, 4, 4, 0]


@pytest.mark.parametrize("breaks, expected", [
    (lambda r: (r / "unit_a/channel_1/natural_images/max_1.png").rename(
        r / "unit_a/channel_1/natural_images/max_7.png"), "max ranks [0, 2, 7]"),
    (lambda r: (r / "unit_a/channel_1/natural_images/min_0.png").unlink(), "min ranks [1, 2]"),
    (lambda r: (r / "unit_b/channel_2/natural_images/max_0.png").rename(r / "stray.png"),
     "break the IMI layout"),
    (lambda r: (r / "unit_b/channel_2/natural_images/max_0.png").rename(
        r / "unit_b/channel_2/natural_images/best_0.png"), "break the IMI layout"),
])
def test_a_folder_that_breaks_the_layout_is_refused_before_any_job(tmp_path, breaks, expected):
    breaks(_stimuli(tmp_path))
    with pytest.raises(ValueError, match=r"IMI") as err:
        pool_size("imi_stimuli", {"path": str(tmp_path)}, Cache(None))
    assert expected in str(err.value)


def test_a_missing_folder_names_the_setting(tmp_path):
    with pytest.raises(FileNotFoundError, match="image_pools.<name>.path"):
        stimulus_files(tmp_path / "absent")


def test_the_tasks_hold_out_one_query_a_side():
    rows = task_rows(3)
    assert rows.shape == (9, 6)
    assert rows[0].tolist() == [1, 2, 0, 4, 5, 3]  # max refs, max query, min refs, min query
    assert rows[5].tolist() == [0, 2, 1, 3, 4, 5]  # max query 1, min query 2


def _two_clusters(n: int, spread: float, rng) -> np.ndarray:
    points = np.concatenate([rng.normal(0, spread, (n, 4)), rng.normal(3, spread, (n, 4))])
    return np.linalg.norm(points[:, None] - points[None], axis=-1)


def test_a_score_that_sees_the_concept_finds_the_tasks_easy(rng):
    found = unit_scores(_two_clusters(10, 0.3, rng), k=5, n_random=500, alpha=None,
                        pooling="max", rng=rng)
    assert found["accuracy"] == 1.0 and found["mis"] == 1.0
    # random sets wholly of max or wholly of min images (3% of them) are as coherent
    assert found["ii_percentile"] > 0.95 and found["ii_max"] > found["ii_random_mean"]
    assert is_easy(found)


def test_a_score_stuck_at_chance_fails_the_control(rng):
    """All images equally far apart (a metric blind to the concept): accuracy and MIS at
    1/2, and the max set no better than random sets."""
    flat = np.ones((20, 20)) - np.eye(20)
    found = unit_scores(flat, k=5, n_random=500, alpha=None, pooling="max", rng=rng)
    assert found["accuracy"] == 0.5 and found["mis"] == 0.5
    assert found["ii_percentile"] == 0.5
    assert not is_easy(found)
    noise = unit_scores(rng.random((20, 20)) + rng.random((20, 20)).T, k=5, n_random=500,
                        alpha=None, pooling="max", rng=rng)
    assert noise["accuracy"] < EASY["accuracy"]


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared IMI catch-trial stimuli")
def test_the_shared_imi_catch_trials_follow_the_layout():
    table = stimulus_files(SHARED)
    assert table.unit.nunique() == 7 and len(table) == 140
    assert table.groupby("unit").size().eq(20).all()
    assert table[table.unit == "mixed4d_pool_reduce_pre_relu_conv"].channel.iloc[0] == 52


def test_results_md_counts_the_easy_units_and_the_flat_crops():
    import pandas as pd

    from superposition.lowlevel import flat_shares
    from superposition.resultsdoc import catch_trial_rows, results_markdown

    catch = pd.DataFrame({"unit": ["u1", "u2", "u1"], "metric": ["m", "m", "pixel"],
                          "ii_max": [-1.0, -2.0, -0.1], "ii_random_mean": [-3.0, -3.0, -0.2],
                          "ii_random_sd": [0.5, 0.5, 0.1], "ii_percentile": [0.99, 0.5, 0.9],
                          "accuracy": [1.0, 0.9, 0.6], "mis": [1.0, 0.9, 0.6],
                          "easy": [True, False, False]})
    assert catch_trial_rows(catch)["easy"].tolist() == ["yes", "**no**", "**no**"]
    scores = pd.DataFrame({"source": "s", "layer": "l", "method": ["kmeans"] * 12,
                           "ii_pairs": np.arange(12.0), "ii_excess": -np.arange(12.0),
                           "mis": np.arange(12.0) % 2, "lowlevel_r2": [0.9] * 3 + [0.1] * 9})
    flat = flat_shares(scores, n_top=10)  # the top 10 by II are the last ten: one flat
    assert flat.flat_top.item() == pytest.approx(0.1) and flat.flat_all.item() == 0.25
    assert flat.flat_top_ii_excess.item() == pytest.approx(0.3)  # the first ten: all three
    assert flat.flat_top_mis.item() == pytest.approx(0.3)  # the six odd, then 0, 2, 4, 6
    net = pd.DataFrame(columns=["source", "layer", "method", "score", "null", "gain",
                                "gain_ci_low", "gain_ci_high", "net", "net_ci_low",
                                "net_ci_high", "p_adjusted", "calibrated"])
    calibration = pd.DataFrame(columns=["pool", "metric", "unit_type", "score", "n", "mean",
                                        "ci_low", "ci_high", "ci_width", "expected", "tolerance",
                                        "passes"])
    text = results_markdown(net, calibration, recovery=None, metric="m", dictionary=None,
                            catch=catch, flat=flat)
    assert "Easy: 1 of 2 units under `m`; 0 of 1 units under `pixel`." in text
    assert "| s / l | kmeans | 0.10 | 0.30 | 0.30 | 0.25 |" in text
