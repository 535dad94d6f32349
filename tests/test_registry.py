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


def test_a_registered_fact_is_read_back_and_defaults_to_the_cpu():
    reg = Registry("thing")
    reg.register("net", gpu=True)(lambda: 1)
    reg.register("plain")(lambda: 2)
    assert reg.uses_gpu("net") and not reg.uses_gpu("plain")
    with pytest.raises(KeyError, match="unknown thing 'nett'"):
        reg.uses_gpu("nett")


def test_a_method_runs_on_a_gpu_exactly_where_it_takes_a_device():
    """The fact the workflow asks a cluster for a GPU by, against each method's signature."""
    import inspect

    for name in METHODS.names():
        takes_device = "device" in inspect.signature(METHODS.get(name)).parameters
        assert METHODS.uses_gpu(name) == takes_device, name


def test_only_metrics_with_a_network_run_on_a_gpu():
    assert not METRICS.uses_gpu("pixel") and not METRICS.uses_gpu("colour")
    for name in ("deepfeat_efficientnet_lite0", "lpips_alex", "lpips_alex_random", "clip",
                 "dreamsim"):
        assert METRICS.uses_gpu(name), name
