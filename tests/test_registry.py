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


def test_the_schema_names_exactly_the_registered_methods():
    """The config schema's method pattern is written out for readable errors; it must
    list the registry's methods, no more and no fewer."""
    import re
    from pathlib import Path

    import yaml

    schema = yaml.safe_load((Path(__file__).parents[1]
                             / "workflow/schemas/config.schema.yaml").read_text())
    pattern = schema["properties"]["directions"]["properties"]["methods"]["items"]["pattern"]
    names = re.fullmatch(r"\^\((.*)\)\(_shuffled\)\?\$", pattern).group(1).split("|")
    assert sorted(names) == METHODS.names()


def test_a_direction_set_name_is_read_in_one_place():
    from superposition.methods import SetName, set_name

    name = SetName.parse("kmeans_shuffled@0.5")
    assert (name.fitted, name.shuffled, name.ratio, name.base) == ("kmeans", True, 0.5,
                                                                  "kmeans_shuffled")
    assert str(SetName.parse("kmeans@2").null()) == "kmeans_shuffled@2"
    assert str(SetName.parse("pca")) == "pca" and SetName.parse("pca").ratio is None
    assert set_name("topk_sae", 3.0) == "topk_sae@3" and set_name("kmeans_shuffled", 2) == (
        "kmeans_shuffled@2")
