import math

import numpy as np
import pytest

from superposition.metrics import build_metric
from superposition.mis import design_tasks
from superposition.scoring import design_scores, score_units


def ii_and_mis(responses, images, metric, k, seed, n_references, n_tasks, quantile, alpha,
               **kw):
    mis = dict(n_references=n_references, n_tasks=n_tasks, quantile=quantile, alpha=alpha)
    return score_units(design_scores(responses, k, seed=seed, mis=mis), images, metric=metric,
                       alpha=alpha, **kw)


def test_tasks_come_from_each_sides_quantile_with_the_least_extreme_as_query(rng):
    responses = rng.normal(size=(200, 3))
    tasks = design_tasks(responses, n_references=9, n_tasks=20, quantile=0.25, seed=0)
    assert tasks.shape == (3, 20, 20)
    for u in range(3):
        r = responses[:, u]
        top, bottom = set(np.argsort(-r)[:50]), set(np.argsort(r)[:50])
        for row in tasks[u]:
            e_max, q_max, e_min, q_min = row[:9], row[9], row[10:19], row[19]
            assert set(row[:10]) <= top and set(row[10:]) <= bottom
            assert len(set(row[:10])) == 10 and len(set(row[10:])) == 10
            assert r[q_max] < r[e_max].min() and r[q_min] > r[e_min].max()
    again = design_tasks(responses, 9, n_tasks=20, quantile=0.25, seed=0)
    np.testing.assert_array_equal(tasks, again)


def test_too_small_a_quantile_is_refused(rng):
    with pytest.raises(ValueError, match="scoring.mis.quantile"):
        design_tasks(rng.normal(size=(30, 2)), 9, n_tasks=5, quantile=0.25, seed=0)


def test_mis_matches_a_hand_computation(flat_images):
    """Colour metric on uniform grey images: d(i, j) = sqrt(3) |g_i - g_j| / 255."""
    grey = flat_images[:, 0, 0, 0].astype(float)
    responses = np.stack([grey, -grey, np.sin(grey)], axis=1)
    alpha, k_refs, n_tasks = 3.0, 3, 4
    out = ii_and_mis(responses, flat_images, build_metric("colour"), k=5, seed=7,
                     n_references=k_refs, n_tasks=n_tasks, quantile=0.25, alpha=alpha)
    tasks = design_tasks(responses, k_refs, n_tasks=n_tasks, quantile=0.25, seed=7)
    for u in range(3):
        probs = []
        for row in tasks[u]:
            g = grey[row]
            e_max, q_max, e_min, q_min = g[:3], g[3], g[4:7], g[7]

            def s(q, e):
                return -np.mean(np.sqrt(3) * np.abs(q - e) / 255)

            delta = (s(q_max, e_max) - s(q_max, e_min)) - (s(q_min, e_max) - s(q_min, e_min))
            probs.append(1 / (1 + math.exp(-alpha * delta)))
        assert out["mis"][u] == pytest.approx(np.mean(probs), abs=1e-6)
    assert out["mis"][0] > 0.5 and out["mis"][1] > 0.5  # grey level tells the sides apart


def test_mis_is_one_half_when_top_and_bottom_images_look_alike(rng):
    images = np.full((120, 8, 8, 3), 128, np.uint8)
    out = ii_and_mis(rng.normal(size=(120, 4)), images, build_metric("pixel"), k=5, seed=0,
                     n_references=9, n_tasks=20, quantile=0.25, alpha=0.16)
    np.testing.assert_allclose(out["mis"], 0.5, atol=1e-12)


def test_ii_is_unchanged_by_the_shared_pass(rng):
    from superposition.interpretability import interpretability_index

    images = rng.integers(0, 256, (80, 8, 8, 3), dtype=np.uint8)
    responses = rng.normal(size=(80, 6))
    metric = build_metric("pixel")
    shared = ii_and_mis(responses, images, metric, 5, 0, 3, 4, 0.25, 0.16,
                        max_bytes=12 * 4 * 8 * 8 * 3)  # several chunks
    alone = interpretability_index(responses, images, metric=metric, k=5)
    np.testing.assert_allclose(shared["ii_pairs"], alone["ii_pairs"], rtol=1e-6)
    np.testing.assert_array_equal(shared["top_k"], alone["top_k"])
    whole = ii_and_mis(responses, images, metric, 5, 0, 3, 4, 0.25, 0.16)
    np.testing.assert_allclose(shared["mis"], whole["mis"], rtol=1e-9)


def test_hard_accuracy_without_alpha():
    from superposition.mis import p_correct

    assert p_correct([2.0, -0.1, 0.0], None).tolist() == [1.0, 0.0, 0.5]
    assert p_correct([0.0], 0.16).item() == 0.5


def test_a_metric_without_a_fitted_alpha_gets_hard_accuracy():
    from superposition.mis import DEFAULTS, resolve_alpha

    assert DEFAULTS["alpha"] == "fitted"
    assert resolve_alpha("fitted", "pixel") is None
    assert resolve_alpha("fitted", "dreamsim") == 0.16  # the MIS authors' fit
    assert resolve_alpha("fitted", "pixel", {"pixel": 2.5}) == 2.5  # the IMI fit first
    assert resolve_alpha(0.3, "dreamsim") == 0.3 and resolve_alpha(None, "dreamsim") is None


@pytest.mark.parametrize("names", [False, True])  # groups as codes, or as file names
def test_grouped_tasks_keep_queries_apart_from_the_explanations_photographs(rng, names):
    """One image per group on each side, and neither query shares a group with any
    explanation: a crop of an explanation's photograph cannot answer the task."""
    groups = np.repeat(np.arange(25), 16)
    groups = np.array([f"photo{g:02d}.jpg" for g in groups]) if names else groups
    responses = rng.normal(size=(400, 4))
    tasks = design_tasks(responses, 9, n_tasks=20, quantile=0.25, seed=0, groups=groups)
    for row in tasks.reshape(-1, 20):
        g_max, g_min = groups[row[:10]], groups[row[10:]]
        assert len(set(g_max)) == 10 and len(set(g_min)) == 10
        assert g_max[-1] not in set(g_min[:-1]) and g_min[-1] not in set(g_max[:-1])


def test_units_of_unrelated_photographs_score_one_half_one_per_group():
    """Units that respond to the crops of ten unrelated photographs (crops look alike
    within a photograph, not across): MIS is high when a query may be a crop of an
    explanation's photograph, and 1/2 when the tasks take one image per group; noise
    units score 1/2 too."""
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(40), 10)
    colours = rng.integers(0, 256, (40, 3))
    images = (colours[groups][:, None, None, :] + rng.integers(-8, 8, (400, 4, 4, 3)))
    images = images.clip(0, 255).astype(np.uint8)
    photo = np.stack([np.isin(groups, rng.choice(40, 10, replace=False)) for _ in range(20)],
                     1) + 0.01 * rng.normal(size=(400, 20))
    noise = rng.normal(size=(400, 20))
    mis = dict(n_references=9, n_tasks=20, quantile=0.25)
    metric = build_metric("colour")

    def score(responses, grouped):
        design = design_scores(responses, 5, seed=0, mis=mis, groups=groups if grouped else None)
        return score_units(design, images, metric=metric, alpha=None)["mis"].mean()

    assert score(photo, grouped=False) > 0.62
    assert score(photo, grouped=True) == pytest.approx(0.5, abs=0.06)
    assert score(noise, grouped=True) == pytest.approx(0.5, abs=0.06)


def test_a_sparse_unit_is_asked_about_its_support(rng):
    """A unit that is zero on 95% of images: the max side comes from its non-zero
    support, not from the zeros its top quarter also holds."""
    responses = np.zeros((400, 1))
    active = rng.choice(400, 20, replace=False)
    responses[active, 0] = rng.uniform(0.5, 1.5, 20)
    tasks = design_tasks(responses, 9, n_tasks=20, quantile=0.25, seed=0)
    assert set(tasks[0, :, :10].ravel()) <= set(active)
    assert not set(tasks[0, :, 10:].ravel()) & set(active)
