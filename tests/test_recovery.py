import numpy as np
import pytest

from superposition.recovery import recovery_scores


def test_exact_directions_in_any_order_and_scale_score_one(rng):
    truth = rng.normal(size=(5, 8))
    found = 3 * truth[[4, 2, 0, 1, 3]]
    s = recovery_scores(found, truth)
    assert s["matched_cosine"] == pytest.approx(1)
    assert s["recovered"] == 1


def test_missing_directions_lower_the_matched_score(rng):
    truth = np.eye(4)
    s = recovery_scores(np.eye(4)[:2], truth)
    assert s["best_cosine"] == pytest.approx(0.5)
    assert s["matched_cosine"] == pytest.approx(0.5)


def test_random_directions_score_at_chance_and_the_truth_scores_one(rng):
    """Known answers: as many random directions as found ones sit at the chance level
    (0 above chance), the planted directions themselves at 1."""
    from superposition.recovery import chance_scores, recovery_with_chance

    truth = rng.normal(size=(48, 16))
    # the review's figure: 16 random directions in 16 dimensions reach 0.435 at chance
    assert chance_scores(truth, 16)["chance"] == pytest.approx(0.435, abs=0.02)
    assert chance_scores(truth, 160)["chance"] > chance_scores(truth, 48)["chance"]
    above = [recovery_with_chance(rng.normal(size=(16, 16)), truth, seed=1)
             for _ in range(20)]
    assert np.mean([a["best_above_chance"] for a in above]) == pytest.approx(0, abs=0.03)
    assert np.mean([a["matched_above_chance"] for a in above]) == pytest.approx(0, abs=0.03)
    exact = recovery_with_chance(truth, truth)
    assert exact["best_above_chance"] == pytest.approx(1)
    assert exact["matched_above_chance"] == pytest.approx(1)


@pytest.fixture(scope="module")
def overcomplete_population():
    """48 features in 16 neurons (3:1), three active per image: one of each of
    shape-colour, size-x and y-rotation, with independent intensities, each feature a
    random direction in neuron space; Poisson counts."""
    from superposition.images import POOLS
    from superposition.synthetic import grouped_features, planted_population

    pool = POOLS.get("shapes")(1200, 16, 0)
    z, names = grouped_features(pool.factors, [["shape", "colour"], ["size", "x"],
                                               ["y", "rotation"]])
    z = z * np.random.default_rng(1).uniform(0.5, 1.5, z.shape)
    pop = planted_population(z, names, n_neurons=16, features_per_neuron=3, gain=100.0,
                             baseline=100.0, seed=0,
                             mixing="gaussian")
    assert pop.mixing.shape == (16, 48) and (z > 0).sum(1).tolist() == [3] * 1200
    return pop


def test_a_topk_sae_recovers_features_that_outnumber_the_neurons(overcomplete_population):
    """The overcomplete regime: a sparse dictionary of K = 3n atoms finds the planted
    features (mean best cosine >= 0.9); K-means at K = n, or at K = 3n, cannot, nor can
    the SAE held to K = n."""
    from superposition.directions import find_directions

    x, truth = overcomplete_population.responses, overcomplete_population.mixing.T

    def best(method, k, **options):
        found = find_directions(x, method, n_components=k, seed=0, **options).components
        return recovery_scores(found, truth)["best_cosine"]

    assert best("topk_sae", 48, top_k=3) >= 0.9
    assert best("topk_sae", 16, top_k=3) < 0.8
    assert best("kmeans", 16) < 0.5 and best("kmeans", 48) < 0.5


def test_seed_stability_is_one_for_the_same_directions_and_chance_for_random_ones(rng):
    """Known answers: a second fit that finds the same directions, in any order, is fully
    stable; one that finds unrelated directions sits at its chance level."""
    from superposition.recovery import seed_stability

    first = rng.normal(size=(12, 6))
    same = seed_stability(first, 2 * first[::-1])
    assert same["stability"] == pytest.approx(1)
    assert same["stability_above_chance"] == pytest.approx(1)
    unrelated = [seed_stability(first, rng.normal(size=(12, 6)))["stability_above_chance"]
                 for _ in range(30)]
    assert abs(np.mean(unrelated)) < 0.1


def test_a_fitted_set_records_its_stability_and_the_nulls_do_not(tmp_path, rng):
    """The find job fits a set twice where asked: K-means on well-separated clusters is
    stable across seeds; the neurons are not refitted."""
    import xarray as xr

    from superposition import store
    from superposition.pipeline.directions import find_direction_sets

    centres = np.eye(4) * 5
    x = centres[rng.integers(0, 4, 200)] + rng.normal(scale=0.1, size=(200, 4))
    responses = tmp_path / "r.zarr"
    store.write_dataset(store.responses_dataset(x, [f"u{i}" for i in range(4)], {
        "source": "s", "layer": "l", "kind": "model", "pool": "p", "provenance": {}}),
        responses)
    outs = [str(tmp_path / "kmeans.zarr"), str(tmp_path / "neurons.zarr")]
    find_direction_sets(str(responses), sets=[
        {"name": "kmeans", "k_ratio": 1.0, "options": {"n_init": 1}, "stability": True},
        {"name": "neurons", "k_ratio": 1.0, "options": {}, "stability": False}], seed=0, outs=outs)
    stable = xr.open_zarr(outs[0]).attrs["stability"]
    assert stable["stability"] > 0.99 > stable["stability_chance"]
    assert stable["seed"] == 1
    assert xr.open_zarr(outs[1]).attrs["stability"] == {}
