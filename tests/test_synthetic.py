import numpy as np
import pytest

from superposition.directions import find_directions
from superposition.recovery import recovery_scores
from superposition.synthetic import conjunction_features, planted_population


def _population(seed=0, n_images=800):
    rng = np.random.default_rng(seed)
    factors = {"shape": rng.integers(0, 4, n_images), "colour": rng.integers(0, 4, n_images)}
    z, names = conjunction_features(factors, ["shape", "colour"])
    return planted_population(z, names, n_neurons=10, features_per_neuron=3, gain=5.0,
                              baseline=0.2, seed=seed)


def test_conjunctions_are_one_hot_and_named():
    z, names = conjunction_features({"a": np.array([0, 1, 1]), "b": np.array([2, 2, 3])},
                                    ["a", "b"])
    assert z.shape == (3, 4)
    np.testing.assert_array_equal(z.sum(1), 1)
    assert names[0] == "a=0-b=2"


def test_every_neuron_mixes_the_requested_number_of_features_and_all_are_used():
    pop = _population()
    assert ((pop.mixing > 0).sum(1) == 3).all()
    assert ((pop.mixing > 0).sum(0) >= 1).all()  # 16 features, 10 neurons: superposition
    assert pop.responses.shape == (800, 10)
    assert (pop.responses == np.round(pop.responses)).all()  # Poisson counts


def test_kmeans_recovers_planted_directions_and_neurons_do_not():
    pop = _population()
    truth = pop.mixing.T
    kmeans = find_directions(pop.responses, "kmeans", n_components=16, seed=0).components
    neurons = find_directions(pop.responses, "neurons", n_components=10, seed=0).components
    assert recovery_scores(kmeans, truth)["matched_cosine"] > 0.85
    assert recovery_scores(neurons, truth)["matched_cosine"] < 0.7


def test_too_sparse_a_mixture_is_refused():
    z, names = conjunction_features({"a": np.array([0, 1])}, ["a"])
    with pytest.raises(ValueError, match="features_per_neuron"):
        planted_population(z, names, n_neurons=3, features_per_neuron=5, gain=1.0, baseline=0.0,
                           seed=0)


def test_a_populations_settings_are_read_once_from_its_row_with_their_defaults():
    """One owner for the synthetic adapter's keys: the row's settings, the keys the
    config check requires, and the defaults."""
    from superposition.configcheck import ADAPTER_NEEDS
    from superposition.synthetic import PopulationSettings

    row = {"adapter": "synthetic", "pool": "shapes", "area": "sim", "factors": ["shape"],
           "n_neurons": 8, "features_per_neuron": 2, "gain": 10.0, "baseline": 1.0}
    settings = PopulationSettings.from_row(row)
    assert (settings.mixing, settings.intensity) == ("sparse", "size")
    assert PopulationSettings.from_row(row | {"mixing": "gaussian"}).mixing == "gaussian"
    assert ADAPTER_NEEDS["synthetic"] == PopulationSettings.required() == [
        "factors", "n_neurons", "features_per_neuron", "gain", "baseline"]
