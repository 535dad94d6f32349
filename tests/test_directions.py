import numpy as np
import pytest

from superposition.directions import METHODS, find_directions


@pytest.fixture
def clustered(rng):
    """300 points around 3 known unit directions in 6-D, non-negative."""
    centres = np.eye(6)[[0, 2, 4]] + 0.3 * np.eye(6)[[1, 3, 5]]
    labels = rng.integers(0, 3, 300)
    x = centres[labels] * rng.uniform(1, 2, (300, 1)) + 0.05 * rng.random((300, 6))
    return x, centres / np.linalg.norm(centres, axis=1, keepdims=True)


def few_steps(method):
    """The contracts hold after a few steps of training: the SAEs' epochs, the iterations of
    overcomplete's NMFs (scikit-learn's NMF is fast as it is)."""
    if method.endswith("_sae"):
        return {"max_epochs": 5}
    return {"max_iter": 50} if method in ("semi_nmf", "convex_nmf") else {}


@pytest.mark.parametrize("method", sorted(METHODS.names()))
def test_every_method_returns_unit_directions_and_responses(method, clustered):
    x, _ = clustered
    params = few_steps(method)
    result = find_directions(x, method, n_components=3, seed=0, **params)
    k = result.components.shape[0]
    assert result.responses.shape == (300, k)
    np.testing.assert_allclose(np.linalg.norm(result.components, axis=1), 1, atol=1e-6)
    assert result.info["method"] == method
    assert np.isfinite(result.responses).all()


def test_kmeans_finds_the_planted_cluster_directions(clustered):
    x, truth = clustered
    comps = find_directions(x, "kmeans", n_components=3, seed=0).components
    assert (truth @ comps.T).max(axis=1).min() > 0.99


def test_kmeans_identity_init_starts_at_the_neurons(clustered):
    x, _ = clustered
    with pytest.raises(ValueError, match="identity"):
        find_directions(x, "kmeans", n_components=3, seed=0, init="identity")
    assert find_directions(x, "kmeans", n_components=6, seed=0,
                           init="identity").components.shape == (6, 6)


def test_kmeans_projection_response_is_a_linear_readout(clustered):
    x, _ = clustered
    r = find_directions(x, "kmeans", n_components=3, seed=0, response="projection")
    np.testing.assert_allclose(r.responses, x @ r.components.T, rtol=1e-6)


def test_neurons_are_the_identity(clustered):
    x, _ = clustered
    r = find_directions(x, "neurons", n_components=3, seed=0)
    np.testing.assert_array_equal(r.components, np.eye(6))
    np.testing.assert_array_equal(r.responses, x)


def test_pca_is_orthonormal_with_positive_tails(clustered):
    x, _ = clustered
    r = find_directions(x, "pca", n_components=3, seed=0)
    np.testing.assert_allclose(r.components @ r.components.T, np.eye(3), atol=1e-6)
    from scipy.stats import skew
    assert (skew(r.responses, axis=0) >= 0).all()


def test_nmf_codes_are_non_negative(clustered):
    x, _ = clustered
    assert (find_directions(x, "nmf", n_components=3, seed=0).responses >= 0).all()


def test_an_sae_learns_to_reconstruct(clustered):
    x, _ = clustered
    fit = lambda epochs: find_directions(x, "topk_sae", n_components=4, seed=0, max_epochs=epochs,
                                         tol=0,
                                         top_k=2, lr=1e-3).info["relative_mse"]
    assert fit(100) < 0.2 * fit(1)


def test_the_stopping_rule_waits_for_a_plateau():
    from superposition.dictionaries import converged

    falling = [0.9 ** i for i in range(50)]
    assert not converged(falling, patience=10, tol=0.01)
    assert not converged(falling[:10], patience=10, tol=0.01)  # too few epochs to judge
    assert converged(falling[:20] + [falling[19]] * 10, patience=10, tol=0.01)


def test_an_sae_trains_until_converged_or_the_cap_and_says_which(clustered):
    x, _ = clustered
    info = find_directions(x, "topk_sae", n_components=4, seed=0, top_k=2, max_epochs=2000).info
    assert info["converged"] and info["epochs"] < 2000 == info["max_epochs"]
    assert len(info["loss_curve"]) == info["epochs"]
    capped = find_directions(x, "topk_sae", n_components=4, seed=0, top_k=2, max_epochs=3).info
    assert not capped["converged"] and capped["epochs"] == 3


def test_same_seed_same_directions(clustered):
    x, _ = clustered
    a = find_directions(x, "ica", n_components=3, seed=3).components
    b = find_directions(x, "ica", n_components=3, seed=3).components
    np.testing.assert_array_equal(a, b)


def test_non_finite_responses_are_refused():
    x = np.ones((10, 3))
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        find_directions(x, "pca", n_components=2, seed=0)


def test_torch_kmeans_matches_scikit_learn_on_clustered_data(rng):
    """The GPU path's Lloyd loop, run here on the CPU: same objective as scikit-learn,
    so on well-separated clusters both find the same centroids and inertia."""
    from sklearn.cluster import KMeans

    from superposition.directions import torch_kmeans, unit_rows

    centres = unit_rows(rng.normal(size=(6, 20)))
    x = unit_rows(np.repeat(centres, 80, axis=0) + 0.05 * rng.normal(size=(480, 20)))
    ours = torch_kmeans(x, 6, seed=0, n_init=3)
    ref = KMeans(6, n_init=3, random_state=0).fit(x)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-3)
    match = (unit_rows(ours.cluster_centers_) @ centres.T).max(axis=0)
    assert (match > 0.99).all()
    assert np.bincount(ours.labels_, minlength=6).tolist() == [80] * 6
    start = torch_kmeans(x, 6, seed=0, init=centres, max_iter=1)  # given centroids
    assert (unit_rows(start.cluster_centers_) @ centres.T).diagonal().min() > 0.99


def test_the_shuffle_keeps_each_units_distribution_and_destroys_co_activation(rng):
    from superposition.directions import shuffle_units

    z = rng.normal(size=(2000, 1))
    x = z @ np.ones((1, 6)) + 0.3 * rng.normal(size=(2000, 6))  # six units firing together
    shuffled = shuffle_units(x, seed=0)
    np.testing.assert_array_equal(np.sort(shuffled, axis=0), np.sort(x, axis=0))
    off = ~np.eye(6, dtype=bool)
    assert np.corrcoef(x.T)[off].min() > 0.8
    assert np.abs(np.corrcoef(shuffled.T)[off]).max() < 0.1


@pytest.mark.parametrize("method", sorted(METHODS.names()))
def test_every_method_has_a_shuffled_fit_null_applied_to_the_real_responses(rng, method):
    """A fit's encoder reproduces its own responses, so the shuffled-fit null is the
    null's directions applied to the real responses."""
    from superposition.directions import METHODS, shuffle_units

    x = np.abs(rng.normal(size=(300, 5))) + np.outer(rng.normal(size=300) > 1, [2, 2, 0, 0, 0])
    params = few_steps(method)
    fit = METHODS.get(method)(x, 4 if method != "neurons" else 5, 0, **params)
    tol = 5e-3 if method == "nmf" else 1e-5  # NMF's transform solves for the codes anew
    np.testing.assert_allclose(fit.encode(x), fit.responses, rtol=tol, atol=tol)
    null = find_directions(x, f"{method}_shuffled", n_components=4 if method != "neurons" else 5,
                           seed=3,
                           **params)
    again = METHODS.get(method)(shuffle_units(x, 3), null.components.shape[0], 3, **params)
    np.testing.assert_allclose(null.components, again.components, atol=1e-6)
    np.testing.assert_allclose(null.responses, again.encode(x), rtol=1e-5, atol=1e-5)
    assert null.info["method"] == f"{method}_shuffled" and "shuffled" in null.info["null"]


def test_the_kmeans_response_is_minus_the_distance_without_an_images_x_k_x_units_array(rng):
    """The paper's response, -|a/|a| - c|, computed from dot products: at ResNet-50 layer4
    scale (50,000 images, K = 2,048 units) the broadcast difference would need 1.5 TiB."""
    from superposition.directions import _kmeans_respond, unit_rows

    x, centroids = rng.normal(size=(50, 7)), rng.normal(size=(4, 7))
    direct = -np.linalg.norm(unit_rows(x)[:, None, :] - centroids[None], axis=2)
    np.testing.assert_allclose(_kmeans_respond(x, centroids, "neg_distance"), direct, atol=1e-12)
