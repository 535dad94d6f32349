import numpy as np
import pytest

from superposition.interpretability import top_k
from superposition.lowlevel import image_statistics, matched_sets, standardise


def test_statistics_tell_bland_from_busy_and_grey_from_colour():
    grey = np.full((1, 16, 16, 3), 128, np.uint8)
    checker = ((np.indices((16, 16)).sum(0) % 2) * 255).astype(np.uint8)
    checker = np.repeat(checker[None, :, :, None], 3, axis=3)
    red = np.zeros((1, 16, 16, 3), np.uint8)
    red[..., 0] = 220
    lum, contrast, colour, high = image_statistics(np.concatenate([grey, checker, red])).T
    assert contrast[0] == high[0] == colour[0] == 0
    assert lum[0] == pytest.approx(128 / 255, abs=1e-6)
    assert contrast[1] == pytest.approx(0.5, abs=1e-3) and high[1] > 0.9
    assert colour[2] > 0.25 and colour[1] == pytest.approx(0, abs=1e-6)


def test_matched_sets_match_the_statistics_of_each_top_set(rng):
    """Image by image, the matched sets sit where the top-k sets sit in statistic space,
    far closer than random sets do, and never reuse a top image or repeat an image."""
    n, k = 600, 5
    stats = np.column_stack([rng.uniform(0, 1, n), rng.gamma(2, 0.1, n), rng.gamma(1, 0.2, n),
                             rng.gamma(2, 0.05, n)])
    z = standardise(stats)
    top = np.stack([np.argsort(z[:, j % 4] * (1 if j % 2 else -1))[:k] for j in range(12)])
    sets = matched_sets(top, stats, n_sets=10, n_neighbours=20, seed=0)
    assert sets.shape == (12, 10, k)
    random = rng.integers(0, n, (12, 10, k))
    for u in range(12):
        target = z[top[u]].mean(0)
        matched_gap = np.abs(z[sets[u]].mean(1) - target).mean()
        random_gap = np.abs(z[random[u]].mean(1) - target).mean()
        assert matched_gap < 0.5 * random_gap  # top sets sit in the tails, where neighbours thin
        assert not set(sets[u].ravel()) & set(top[u])
        assert all(len(set(s)) == k for s in sets[u])
    again = matched_sets(top, stats, 10, 20, seed=0)
    np.testing.assert_array_equal(sets, again)


def test_matched_sets_take_one_image_per_group(rng):
    stats = rng.normal(size=(300, 4))
    groups = np.repeat(np.arange(30), 10)
    top = np.stack([rng.choice(300, 5, replace=False) for _ in range(6)])
    sets = matched_sets(top, stats, 8, 40, seed=1, groups=groups)
    assert all(len(set(groups[s])) == 5 for s in sets.reshape(-1, 5))


def test_a_small_pool_is_refused(rng):
    with pytest.raises(ValueError, match="n_neighbours"):
        matched_sets(np.arange(5)[None], rng.normal(size=(20, 4)), 2, 25, seed=0)


def test_top_k_takes_the_best_image_of_each_group():
    r = np.array([9.0, 8.5, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0])[:, None]
    groups = np.array(["a", "a", "a", "b", "b", "c", "d", "e"])
    assert top_k(r, 3)[0].tolist() == [0, 1, 2]  # three crops of one photograph
    assert top_k(r, 3, groups=groups)[0].tolist() == [0, 3, 5]
    with pytest.raises(ValueError, match="one_per_group"):
        top_k(r, 6, groups=groups)


def test_the_chance_level_takes_one_image_per_group_too(rng):
    from superposition.interpretability import random_baseline
    from superposition.metrics import build_metric

    images = rng.integers(0, 256, (60, 8, 8, 3), dtype=np.uint8)
    groups = np.repeat(np.arange(12), 5)
    out = random_baseline(60, images, build_metric("pixel"), k=5, n_sets=30, seed=0,
                          groups=groups)
    assert all(len(set(groups[s])) == 5 for s in out["top_k"])
