import pytest

from superposition.directions import METHODS
from superposition.metrics import METRICS
from superposition.registry import Registry


def test_unknown_name_lists_known_names():
    reg = Registry("thing")
    reg.register("a")(lambda: 1)
    with pytest.raises(KeyError, match="unknown thing 'b'; known: a"):
        reg.get("b")


def test_unknown_name_suggests_the_closest():
    with pytest.raises(KeyError, match=r"unknown direction method 'kmaens' \(did you mean 'kmeans'\?\)"):
        METHODS.get("kmaens")


def test_duplicate_registration_is_refused():
    reg = Registry("thing")
    reg.register("a")(lambda: 1)
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("a")(lambda: 2)


def test_the_paper_methods_and_metrics_are_registered():
    assert {"neurons", "kmeans", "pca", "ica", "nmf", "random", "topk_sae", "batchtopk_sae",
            "jumprelu_sae", "archetypal_sae", "semi_nmf", "convex_nmf"} <= set(METHODS.names())
    assert {"pixel", "colour", "deepfeat_efficientnet_lite0"} <= set(METRICS.names())
