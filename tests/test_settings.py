"""One owner per setting: the library's defaults are the schema's, and a bad config is
refused by a function call, before Snakemake starts."""

import copy
import dataclasses
import inspect
from pathlib import Path

import numpy as np
import pytest
import yaml

from superposition.configcheck import validate_config
from superposition.directions import METHODS  # the registry, with every method registered
from superposition.settings import NESTED, Directions, Figures, Imi, Psychophysics, Scoring

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
TINY = yaml.safe_load((ROOT / "tests/data/config.yaml").read_text())
SECTIONS = SCHEMA["properties"]


def schema_defaults(section: dict) -> dict:
    return {k: v["default"] for k, v in section.get("properties", {}).items() if "default" in v}


def test_the_scoring_defaults_are_the_schemas():
    scoring = SECTIONS["scoring"]["properties"]
    library = Scoring("m", 5)
    stated = schema_defaults(SECTIONS["scoring"])
    for name, value in stated.items():
        if name not in NESTED:
            assert getattr(library, name) == (tuple(value) if name == "controls" else value), name
    assert set(stated) >= {"n_random", "metric_size", "cache_embeddings", "one_per_group"}
    for name, defaults in NESTED.items():
        assert schema_defaults(scoring[name]) == defaults, name
        assert getattr(library, name) == defaults


def assert_fields_are_the_schemas(cls, section):
    """A settings object's fields are its schema section's keys; what the schema requires
    has no default, and every other field's default is the schema's."""
    import dataclasses

    fields = {f.name: (f.default if f.default_factory is dataclasses.MISSING
                       else f.default_factory()) for f in dataclasses.fields(cls)}
    assert set(fields) == set(section["properties"])
    assert {k for k, v in fields.items() if v is dataclasses.MISSING} == set(
        section.get("required", []))
    library = {k: list(v) if isinstance(v, tuple) else v
               for k, v in fields.items() if v is not dataclasses.MISSING}
    stated = schema_defaults(section)  # a None default is stated as null, or not at all
    assert {k: v for k, v in library.items() if v is not None or k in stated} == stated


@pytest.mark.parametrize("cls, name", [(Psychophysics, "psychophysics"), (Figures, "figures"),
                                       (Imi, "imi")])
def test_the_settings_defaults_are_the_schemas(cls, name):
    assert_fields_are_the_schemas(cls, SECTIONS[name])
    section = TINY.get(name) or {"responses": "r", "file_map": "m", "imagenet_root": "/"}
    with pytest.raises(ValueError, match=rf"{name}: unknown settings \['n_trial'\]"):
        cls.from_config(section | {"n_trial": 5})


def test_the_direction_sets_and_their_options_come_from_the_directions_section():
    section = {"methods": ["neurons", "kmeans", "kmeans_shuffled"], "k_ratio": 1,
               "kmeans": {"n_init": 3},
               "k_sweep": {"methods": ["kmeans", "kmeans_shuffled"], "ratios": [0.5, 2]}}
    directions = Directions.from_config(section)
    assert directions.sets == ["neurons", "kmeans", "kmeans_shuffled", "kmeans@0.5",
                               "kmeans@2", "kmeans_shuffled@0.5", "kmeans_shuffled@2"]
    assert directions.params("kmeans_shuffled@2") == {"n_init": 3}  # the null shares them
    assert directions.params("neurons") == {}
    as_list = Directions.from_config(section | {"k_sweep": [section["k_sweep"]]})
    assert as_list == directions and as_list.sweep_methods == ["kmeans", "kmeans_shuffled"]
    assert set(SECTIONS["directions"]["required"]) == {"methods", "k_ratio"}


def test_only_a_fitted_methods_own_sets_are_fitted_twice_for_their_stability():
    directions = Directions.from_config({"methods": ["neurons", "kmeans", "random"],
                                         "k_ratio": 1})
    assert [d for d in ["neurons", "kmeans", "kmeans@2", "kmeans_shuffled", "random",
                        "topk_sae@3", "topk_sae_shuffled@3"] if directions.refits(d)] == [
        "kmeans", "kmeans@2", "topk_sae@3"]
    off = Directions.from_config({"methods": ["kmeans"], "k_ratio": 1, "stability": False})
    assert not off.refits("kmeans")


def test_every_method_option_default_is_the_methods_own():
    """The schema's default of each direction method's option is the one its function
    takes; every registered method has a section, and nothing else does."""
    sections = SECTIONS["directions"]["properties"]
    for method in METHODS.names():
        fit = METHODS.get(method)
        defaults = {name: p.default for name, p in inspect.signature(fit).parameters.items()
                    if p.kind is not p.VAR_KEYWORD} | getattr(fit, "own_defaults", {})
        stated = schema_defaults(sections[method])
        assert {k: defaults[k] for k in stated} == stated, method
        assert set(sections[method]["properties"]) <= set(defaults), method
    jumprelu = METHODS.get("jumprelu_sae")
    with pytest.raises(TypeError, match=r"jumprelu SAE takes no options \['delta'\]"):
        jumprelu(np.zeros((4, 2)), 2, 0, delta=1.0)
    assert set(sections) - {"methods", "k_ratio", "k_sweep", "stability"} == set(METHODS.names())


def test_every_analysis_in_the_schema_is_registered_with_the_schemas_options():
    """Each further analysis the schema allows is a registry entry that takes exactly the
    options its schema section lists (their defaults are the schema's, filled in)."""
    from superposition.analyses import ANALYSES

    sections = SECTIONS["analyses"]["properties"]
    assert set(sections) == set(ANALYSES.names())
    for name, section in sections.items():
        options = set(inspect.signature(ANALYSES.get(name)).parameters) - {"layer"}
        assert options == set(section["properties"]), name
        assert set(schema_defaults(section)) == options, name


def test_a_valid_config_gets_every_default_filled_in():
    before = copy.deepcopy(TINY)
    config = validate_config(TINY, SCHEMA)
    assert TINY == before  # the config handed in is not edited
    assert config["scoring"]["mis"] == NESTED["mis"] | TINY["scoring"].get("mis", {})
    assert Scoring.from_config(config["scoring"]) == Scoring.from_config(TINY["scoring"])


def test_a_kinds_own_defaults_fill_that_kinds_rows_only_and_are_the_librarys():
    """Defaults that only one kind of row has (a folder pool's store, a CIFAR-10 pool's
    split, a synthetic population's mixing and intensity) are stated by the schema, per
    kind, and are the library's own."""
    import dataclasses

    from superposition.images import POOLS
    from superposition.synthetic import PopulationSettings

    config = copy.deepcopy(TINY)
    config["image_pools"] |= {"folder": {"kind": "folder", "path": ".", "size": 32},
                              "cifar": {"kind": "cifar10", "path": "c.tar.gz", "size": 32}}
    config["brain"]["recorded"] = {"adapter": "npy", "path": "r.npy", "pool": "shapes",
                                   "area": "V4"}
    config = validate_config(config, SCHEMA)
    pools, brain = config["image_pools"], config["brain"]
    assert pools["folder"]["store"] == "pixels" and pools["cifar"]["split"] == "train"
    assert not {"store", "split"} & (set(pools["photos"]) | set(pools["shapes"]))
    assert "split" not in pools["folder"] and "store" not in pools["cifar"]
    assert "mixing" not in brain["recorded"] and "intensity" not in brain["recorded"]
    population = PopulationSettings.from_row(brain["planted"])
    assert (population.mixing, population.intensity) == (brain["planted"]["mixing"],
                                                          brain["planted"]["intensity"])
    library = {f.name: f.default for f in dataclasses.fields(PopulationSettings)
               if f.default is not dataclasses.MISSING}
    assert library == {k: brain["planted"][k] for k in library}
    split = inspect.signature(POOLS.get("cifar10")).parameters["split"].default
    assert split == pools["cifar"]["split"]


def test_the_typed_rows_defaults_are_the_schemas():
    """A model row's, a zoo entry's and a metric row's fields are the schema's keys with
    its defaults; a recording's
    shared fields are schema keys with their defaults, and the rest of its row is the
    adapter's options; a pool's options are its row less its kind."""
    from superposition.plan import Plan
    from superposition.rows import MetricRow, ModelRow, RecordingRow, ZooEntry

    assert_fields_are_the_schemas(ModelRow, SECTIONS["models"]["additionalProperties"])
    assert_fields_are_the_schemas(ZooEntry, SECTIONS["zoo"]["additionalProperties"])
    assert_fields_are_the_schemas(MetricRow, SECTIONS["metrics"]["additionalProperties"])
    brain = SECTIONS["brain"]["additionalProperties"]
    for f in dataclasses.fields(RecordingRow):
        if f.name != "options":  # the shared keys: each the schema's, with its default
            stated = brain["properties"][f.name].get("default")
            assert (f.default is dataclasses.MISSING) == (f.name in brain["required"])
            assert f.default in (stated, dataclasses.MISSING), f.name
    plan = Plan.build(validate_config(TINY, SCHEMA), facts=None)
    planted = plan.recording_rows["planted"]
    assert (planted.adapter, planted.pool, planted.area) == ("synthetic", "shapes", "sim")
    assert planted.options["n_neurons"] == 8 and "zscore" not in planted.options
    assert plan.pool_rows["photos"].options == {"n_images": 150, "size": 32}
    assert plan.model_rows["tiny"].batch_size == 64


def test_a_recording_brings_its_own_pool_and_can_be_switched_off():
    config = copy.deepcopy(TINY)
    own = {"kind": "zip", "path": "stimuli.zip", "size": 32}
    config["brain"]["off"] = config["brain"]["planted"] | {"enabled": False}
    config["brain"]["planted"]["pool"] = dict(own)
    config = validate_config(config, SCHEMA)
    assert config["brain"]["planted"]["pool"] == "planted"
    assert config["image_pools"]["planted"] == own
    assert "off" not in config["brain"] and "off" not in config["image_pools"]


def test_unknown_scoring_settings_are_refused_by_the_settings_object():
    with pytest.raises(ValueError, match=r"unknown settings \['kk'\]"):
        Scoring.from_config({"metric": "pixel", "k": 5, "kk": 3})


@pytest.mark.parametrize("edit, expected", [
    (lambda c: c["psychophysics"].update(n_trial=5),
     "psychophysics: unknown key 'n_trial'; did you mean 'n_trials'?"),
    (lambda c: c["image_pools"]["photos"].update(sizee=32),
     "image_pools.photos: unknown key 'sizee'; did you mean 'size'?"),
    (lambda c: c.update(scorng=c.pop("scoring")),
     "the top level: unknown key 'scorng'; did you mean 'scoring'?"),
    (lambda c: c["directions"]["methods"].append("kmaens"),
     "directions.methods.8: 'kmaens' does not match"),
    (lambda c: c["scoring"].setdefault("mis", {}).update(quantile=0.7), "scoring.mis.quantile: 0.7 is greater"),
    (lambda c: c["models"]["tiny"].update(pool="nopool"), "models.tiny.pool is 'nopool'"),
    (lambda c: c["scoring"].update(metric="lpips-typo"), "unknown metric 'lpips-typo'"),
    (lambda c: c.update(imi={"responses": "r.csv", "file_map": "m.json",
                             "imagenet_root": "/no/imagenet"}), "imi.imagenet_root"),
    (lambda c: c.update(imi={"responses": "r.csv", "file_map": "m.json", "imagenet_root": "/",
                             "metrics": ["lpips_alexx"]}), "imi.metrics: unknown metric"),
    (lambda c: c.update(imi={"responses": "r.csv", "file_map": "m.json", "imagenet_root": "/",
                             "models": ["googlenet"]}), "imi.figure_model 'resnet50' is not in"),
    (lambda c: c["image_pools"].update(own={"kind": "folder", "size": 32}),
     "image_pools.own: kind folder needs ['path']"),
    (lambda c: c["brain"]["planted"].update(pool={"kind": "zip", "size": 32, "path": "s.zip"})
     or c["image_pools"].update(planted=c["image_pools"]["shapes"]),
     "brain.planted brings its own pool, but image_pools already names a pool 'planted'"),
    (lambda c: c["brain"]["planted"].update(pool={"kind": "zip", "size": 32}),
     "image_pools.planted: kind zip needs ['path']"),
    (lambda c: c["directions"].update(k_sweep={"methods": ["kmeans_nulled"], "ratios": [2]}),
     "kmeans_nulled"),
    (lambda c: c["psychophysics"].update(methods=["jumprelu_sae"]),
     "psychophysics.methods lists ['jumprelu_sae'], not in directions.methods"),
    (lambda c: c["analyses"].update(interpolation={"n_pairs": 2, "alphas": [0, 1]}) or
     c["directions"]["methods"].remove("kmeans"), "analyses.interpolation needs 'kmeans'"),
])
def test_a_bad_config_is_refused_naming_the_problem(edit, expected):
    config = copy.deepcopy(TINY)
    edit(config)
    with pytest.raises(ValueError, match="config error") as err:
        validate_config(config, SCHEMA)
    assert expected in str(err.value)
    assert len(str(err.value).splitlines()) < 10  # a message, not the schema


def test_the_config_reference_is_the_schemas():
    from superposition.configdoc import refreshed

    text = (ROOT / "config/README.md").read_text()
    assert text == refreshed(text, SCHEMA), "run make config-doc"


def test_every_method_carries_its_own_colour():
    colours = [METHODS.fact(m, "colour") for m in METHODS.names()]
    assert None not in colours and len(set(colours)) == len(colours)
