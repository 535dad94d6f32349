import numpy as np
import pytest

from superposition.interpretability import top_k
from superposition.lowlevel import (BASELINE_DEFAULTS, image_statistics, shadow_sets,
                                    shared_groups, standardise)

FIRST = BASELINE_DEFAULTS | {"hinges": False, "residuals": "gaussian", "space": "ranks",
                             "folds": 1}


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


def _stats(rng, n):
    return np.column_stack([rng.uniform(0, 1, n), rng.gamma(2, 0.1, n), rng.gamma(1, 0.2, n),
                            rng.gamma(2, 0.05, n)])


def test_a_unit_the_statistics_explain_gets_its_own_top_set_back(rng):
    """The shadow of a unit that is a function of the statistics ranks the images as the
    unit does: in the first design (ranks) exactly for a monotone function of one
    statistic; in the default (raw responses, hinges, cross-fitted) nearly."""
    stats = _stats(rng, 500)
    z = standardise(stats)
    responses = np.column_stack([z[:, 0], -z[:, 3], np.exp(z @ [0.5, -0.2, 0.3, 0.1])])
    sets, r2 = shadow_sets(responses, stats, 5, seed=0, **FIRST | {"n_sets": 4})
    top = top_k(responses, 5)
    assert r2[:2] == pytest.approx(1, abs=1e-6) and r2[2] > 0.95
    for u in range(2):
        assert all(set(s) == set(top[u]) for s in sets[u])
    sets, r2 = shadow_sets(responses, stats, 5, seed=0, **BASELINE_DEFAULTS)
    assert (r2 > 0.95).all()
    overlap = [len(set(s) & set(top[u])) for u in range(3) for s in sets[u]]
    assert np.mean(overlap) > 3.5


def test_a_unit_the_statistics_do_not_explain_gets_random_sets(rng):
    stats = _stats(rng, 500)
    sets, r2 = shadow_sets(rng.normal(size=(500, 6)), stats, 5, seed=0, **BASELINE_DEFAULTS)
    assert r2.max() < 0.1
    top = top_k(rng.normal(size=(500, 6)), 5)
    assert np.mean([len(set(s) & set(top[u])) for u in range(6) for s in sets[u]]) < 0.5
    again, _ = shadow_sets(rng.normal(size=(500, 6)), stats, 5, seed=0, **BASELINE_DEFAULTS)
    assert again.shape == (6, 10, 5)


def test_the_shadow_keeps_a_heavy_tailed_units_tail(rng):
    """A low-level drive plus Student-t noise: its top images are chosen by the noise, so
    few are the drive's top. Its shadow with permuted residuals keeps that; the first
    design's Gaussian residuals, in ranks, let the drive choose the shadow's top."""
    stats = _stats(rng, 2000)
    drive = standardise(stats) @ [1.0, 0.5, -0.5, 0.3]
    drive /= drive.std()
    responses = drive[:, None] + rng.standard_t(2, (2000, 40))
    drive_top = set(top_k(drive[:, None], 50)[0])

    def share_from_drive_top(sets):
        return np.mean([len(set(s) & drive_top) / 5 for s in sets.reshape(-1, 5)])

    own = share_from_drive_top(top_k(responses, 5))
    permuted, _ = shadow_sets(responses, stats, 5, seed=0, **BASELINE_DEFAULTS)
    first, _ = shadow_sets(responses, stats, 5, seed=0, **FIRST)
    assert abs(share_from_drive_top(permuted) - own) < 0.05
    assert share_from_drive_top(first) > own + 0.1


def test_shadow_sets_take_one_image_per_group(rng):
    stats = rng.normal(size=(300, 4))
    groups = np.repeat(np.arange(30), 10)
    sets, _ = shadow_sets(rng.normal(size=(300, 6)), stats, 5, seed=1, groups=groups,
                          **BASELINE_DEFAULTS | {"n_sets": 8})
    assert all(len(set(groups[s])) == 5 for s in sets.reshape(-1, 5))
    top = top_k(stats[:, :1], 5, groups=groups)
    assert shared_groups(top, sets[:1], groups) == pytest.approx(
        np.isin(groups[sets[0]], groups[top[0]]).mean())


def test_a_small_pool_is_refused(rng):
    with pytest.raises(ValueError, match="lowlevel_baseline"):
        shadow_sets(rng.normal(size=(40, 2)), rng.normal(size=(40, 4)), 5, seed=0,
                    **BASELINE_DEFAULTS)
    with pytest.raises(ValueError, match="residuals is 'normal'"):
        shadow_sets(rng.normal(size=(400, 2)), rng.normal(size=(400, 4)), 5, seed=0,
                    **BASELINE_DEFAULTS | {"residuals": "normal"})


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
    out = random_baseline(60, images, metric=build_metric("pixel"), k=5, n_sets=30, seed=0,
                          groups=groups)
    assert all(len(set(groups[s])) == 5 for s in out["top_k"])
