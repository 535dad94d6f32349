import numpy as np
import pytest
import torch

from superposition.interpretability import (
    PoolDistances, embedded_chunks, interpretability_index, pool_distance_matrix,
    random_baseline, set_distances, top_k)
from superposition.metrics import build_metric


def test_top_k_orders_strongest_first_and_breaks_ties_by_index():
    r = np.array([[1.0, 5.0], [3.0, 5.0], [2.0, 1.0], [3.0, 0.0]])
    assert top_k(r, 2).tolist() == [[1, 3], [0, 1]]


def test_top_k_needs_k_images():
    with pytest.raises(ValueError, match="at least k=5"):
        top_k(np.zeros((3, 2)), 5)


def test_ii_matches_brute_force_pixel_distances(rng):
    images = rng.integers(0, 256, (30, 8, 8, 3), dtype=np.uint8)
    responses = rng.normal(size=(30, 4))
    metric = build_metric("pixel")
    scores = interpretability_index(responses, images, metric=metric, k=5)
    x = images.reshape(30, -1).astype(float) / 255
    for u in range(4):
        idx = np.argsort(-responses[:, u])[:5]
        d = [((x[i] - x[j]) ** 2).mean() for i in idx for j in idx if i != j]
        assert scores["ii_pairs"][u] == pytest.approx(-np.mean(d), rel=1e-4)


def test_code_convention_is_k_minus_1_over_k_of_pairs(rng):
    images = rng.integers(0, 256, (20, 8, 8, 3), dtype=np.uint8)
    s = interpretability_index(rng.normal(size=(20, 3)), images, metric=build_metric("colour"), k=5)
    np.testing.assert_allclose(s["ii_code"], s["ii_pairs"] * 4 / 5, rtol=1e-6)


def test_identical_top_images_give_ii_zero_and_spread_images_lower(flat_images):
    responses = np.zeros((24, 2))
    responses[:5, 0] = 1  # unit 0: images 0..4, grey levels 0..40
    responses[::5, 1] = 1  # unit 1: images 0, 5, 10, 15, 20: grey levels 0..200
    s = interpretability_index(responses, flat_images, metric=build_metric("pixel"), k=5)
    assert s["ii_pairs"][0] > s["ii_pairs"][1]
    same = np.repeat(flat_images[:1], 24, axis=0)
    assert interpretability_index(responses, same, metric=build_metric("pixel"),
                                  k=5)["ii_pairs"][0] == 0


def test_set_distances_agree_with_metric_pairwise(rng):
    metric = build_metric("colour")
    emb = metric.embed(rng.integers(0, 256, (10, 4, 4, 3), dtype=np.uint8))
    sets = np.array([[0, 3, 7], [1, 2, 9]])
    d = set_distances(sets, emb, metric=metric)
    full = metric.pairwise(emb, emb)
    for s, idx in enumerate(sets):
        expected = full[torch.as_tensor(idx)][:, torch.as_tensor(idx)].clone()
        expected.fill_diagonal_(0)
        torch.testing.assert_close(d[s], expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["colour", "pixel"])  # a metric's distance, and its square
def test_a_pools_distance_matrix_gives_every_sets_distances(rng, name):
    """The small-pool path of the score jobs: each set's block gathered from the pool's
    whole distance matrix equals the set's distances computed from its embeddings."""
    metric = build_metric(name)
    emb = metric.embed(rng.integers(0, 256, (40, 4, 4, 3), dtype=np.uint8))
    sets = rng.integers(0, 40, (300, 5))
    pool = PoolDistances(pool_distance_matrix(emb, metric, rows=16))
    torch.testing.assert_close(set_distances(sets, pool, metric=metric),
                               set_distances(sets, emb, metric=metric),
                               atol=1e-5, rtol=1e-5)
    chunks = list(embedded_chunks(sets, None, metric=metric, cache=pool))
    assert all(c is pool for c, _ in chunks)
    np.testing.assert_array_equal(np.concatenate([s for _, s in chunks]), sets)


def test_random_baseline_is_seeded_and_below_identical_sets(rng):
    images = rng.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8)
    metric = build_metric("pixel")
    a = random_baseline(40, images, metric=metric, k=5, n_sets=20, seed=1)
    b = random_baseline(40, images, metric=metric, k=5, n_sets=20, seed=1)
    np.testing.assert_array_equal(a["top_k"], b["top_k"])
    assert (a["ii_pairs"] < 0).all()
    assert all(len(set(row)) == 5 for row in a["top_k"])


def test_set_ii_is_the_same_in_chunks_of_bounded_memory(rng):
    from superposition.interpretability import embedded_chunks, set_ii

    images = rng.integers(0, 256, (50, 8, 8, 3), dtype=np.uint8)
    sets = np.stack([rng.choice(50, 5, replace=False) for _ in range(13)])
    metric = build_metric("pixel")
    budget = 2 * 5 * 4 * 8 * 8 * 3  # ten images' embeddings
    chunks = list(embedded_chunks(sets, images, metric=metric, max_bytes=budget))
    assert all(len(emb) <= 10 for emb, _ in chunks)
    assert sum(len(local) for _, local in chunks) == 13 and len(chunks) >= 7
    same = np.tile(sets[:1], (13, 1))  # sets that share their images share one pass
    assert len(list(embedded_chunks(same, images, metric=metric, max_bytes=budget))) == 1
    whole, chunked = set_ii(sets, images,
                            metric=metric), set_ii(sets, images, metric=metric, max_bytes=budget)
    np.testing.assert_allclose(chunked["ii_pairs"], whole["ii_pairs"], rtol=1e-6)


def test_top_k_in_unit_chunks_equals_one_sort(rng):
    r = rng.integers(0, 4, size=(40, 7)).astype(float)  # many ties
    np.testing.assert_array_equal(top_k(r, 5, chunk=3), top_k(r, 5, chunk=100))
    np.testing.assert_array_equal(top_k(r, 5, chunk=3),
                                  np.argsort(-r, axis=0, kind="stable")[:5].T)


def test_ii_chance_and_2afc_read_from_the_cache_equal_those_from_the_images(rng):
    """The jobs that score read the pool's cached embeddings or distances: the same II,
    chance level and 2-AFC evidence as embedding the images anew."""
    from superposition.psychophysics import design_trials, run_2afc

    images = rng.integers(0, 256, (60, 6, 6, 3), dtype=np.uint8)
    responses = rng.normal(size=(60, 4))
    metric = build_metric("pixel")
    emb = metric.embed(images)
    for cache in (emb.numpy(), PoolDistances(pool_distance_matrix(emb, metric))):
        np.testing.assert_allclose(
            interpretability_index(responses, images, metric=metric, k=5, cache=cache)["ii_pairs"],
            interpretability_index(responses, images, metric=metric, k=5)["ii_pairs"], rtol=1e-4)
        np.testing.assert_allclose(
            random_baseline(60, images, metric=metric, k=5, n_sets=20, seed=0,
                            cache=cache)["ii_pairs"],
            random_baseline(60, images, metric=metric, k=5, n_sets=20,
                            seed=0)["ii_pairs"], rtol=1e-4)
    design = design_trials(responses, 3, quantiles=[0.0, 0.2], n_trials=4, band=0.1, seed=0)
    embedded = run_2afc(design, images, metric=metric)
    for cache in (emb.numpy(), PoolDistances(pool_distance_matrix(emb, metric))):
        read = run_2afc(design, None, metric=metric, cache=cache)
        np.testing.assert_allclose(read["evidence"], embedded["evidence"], rtol=1e-4, atol=1e-6)


def test_a_direction_that_never_varies_is_found_dead(rng):
    from superposition.scoring import varying

    codes = np.maximum(rng.normal(size=(50, 4)), 0)
    codes[:, 1] = 0.0  # an atom that never fires
    codes[:, 3] = 2.5  # one stuck at a constant
    assert varying(codes).tolist() == [True, False, True, False]
