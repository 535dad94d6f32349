"""The run's plan by function calls, without a Snakemake process: the sources and nulls a
config gives, the direction sets and job batches, the targets, a bad config and the
preflight."""

import copy
from pathlib import Path

import pytest
import yaml

from superposition.configcheck import validate_config
from superposition.plan import Plan, PlanError, PreflightError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())


class Facts:
    """Architecture facts without a network: every layer 8 units wide."""

    def resolve_layers(self, architecture, spec):
        layers = [f"stage{i}" for i in range(spec)] if isinstance(spec, int) else list(spec)
        return layers, {layer: (i + 1) / len(layers) for i, layer in enumerate(layers)}

    def layer_widths(self, architecture, layers, size, layout=None):
        return {layer: 8 for layer in layers}


def validated(name: str, edit=None) -> dict:
    config = yaml.safe_load((ROOT / name).read_text())
    if edit:
        edit(config)
    return validate_config(config, SCHEMA)


@pytest.fixture(scope="module")
def demo():
    return validated("config/config.yaml")


def test_the_demo_plan_has_its_sources_nulls_and_sets(demo):
    before = copy.deepcopy(demo)
    plan = Plan.build(demo, Facts())
    assert demo == before  # the config handed in is never edited
    assert list(plan.sources) == ["mobilenet_v2", "mobilenet_v2_shapes",
                                  "mobilenet_v2_untrained", "planted"]
    assert plan.untrained == {"mobilenet_v2": "mobilenet_v2_untrained"}
    null = plan.sources["mobilenet_v2_untrained"]
    assert null.null and null.layers == ["features.2", "features.7", "features.14"]
    assert plan.models["mobilenet_v2_untrained"]["weights"] == "random"
    assert plan.sources["planted"].kind == "synthetic" and plan.planted == {"planted": ["sim"]}
    # a null source has no shuffled fits, and its sets are never refitted
    assert "kmeans_shuffled" in plan.source_sets("mobilenet_v2")
    assert not any("shuffled" in d for d in plan.source_sets("mobilenet_v2_untrained"))
    assert plan.k_ratio("mobilenet_v2", "topk_sae@3") == 3
    assert plan.k_ratio("mobilenet_v2", "kmeans") == 1
    specs = {s["name"]: s for s in plan.set_specs("mobilenet_v2_untrained", ["kmeans"])}
    assert not specs["kmeans"]["stability"]
    assert plan.set_specs("mobilenet_v2", ["kmeans"])[0]["stability"]
    assert plan.shown_dictionary == "topk_sae@3"
    assert plan.claim_sources == ["mobilenet_v2", "mobilenet_v2_shapes", "planted"]


def test_the_batches_put_the_gpu_methods_apart_and_the_nulls_in_rules_of_their_own(demo):
    plan = Plan.build(demo, Facts())
    batches = plan.set_batches(split_gpu=True)
    assert list(batches) == ["directions", "directions_gpu", "untrained", "untrained_gpu"]
    sets, sources = batches["directions_gpu"]
    assert {s.split("@")[0].removesuffix("_shuffled") for s in sets} == {"kmeans", "topk_sae"}
    assert sources == ["mobilenet_v2", "mobilenet_v2_shapes", "planted"]
    assert batches["untrained"][1] == ["mobilenet_v2_untrained"]
    every = [d for sets, _ in plan.set_batches(split_gpu=False).values() for d in sets]
    assert set(every) == set(plan.directions.sets)


def test_the_targets_are_every_sources_figures_and_the_summaries(demo):
    plan = Plan.build(demo, Facts())
    targets = plan.targets()
    assert "results/figures/mobilenet_v2/meis_features.14.png" in targets
    assert "results/figures/planted/recovery.png" in targets
    # a null source serves the net effects: its II figure alone
    assert [t for t in targets if "_untrained/" in t] == [
        "results/figures/mobilenet_v2_untrained/ii_by_method.png"]
    assert {"results/RESULTS.md", "results/CLAIMS.md", "results/tables/accuracy.csv"} <= set(
        targets)
    assert len(plan.scores("mobilenet_v2")) == 3 * len(plan.directions.sets)


def test_the_papers_plan_is_built_without_snakemake():
    plan = Plan.build(validated("config/paper.yaml"), Facts())
    assert all(not s.null or s.name.endswith("_untrained") for s in plan.sources.values())
    assert "topk_sae@8" in plan.source_sets(next(iter(plan.sources)))


@pytest.mark.parametrize("edit, expected", [
    (lambda c: c["models"].update(mobilenet_v2_untrained=c["models"]["mobilenet_v2"]),
     "models.mobilenet_v2.untrained_null adds the source 'mobilenet_v2_untrained'"),
])
def test_a_plan_that_cannot_be_built_names_the_fix(edit, expected):
    with pytest.raises(PlanError, match=expected):
        Plan.build(validated("config/config.yaml", edit), Facts())


def test_the_preflight_refuses_a_pool_too_small_for_the_scores(demo, tmp_path):
    small = copy.deepcopy(demo)
    small["image_pools"]["shapes"]["n_images"] = 20
    with pytest.raises(PreflightError, match="image pool shapes has 20 images"):
        Plan.build(small, Facts()).preflight(Facts(), str(tmp_path / "preflight.json"))
    Plan.build(demo, Facts()).preflight(Facts(), str(tmp_path / "preflight.json"))


def test_a_jobs_metric_inputs_are_one_object_for_its_rule_and_its_script(demo):
    """Which file is which travels as an object, not in the names of the inputs: a metric
    named like an input (``pool``) cannot be mistaken for it."""
    plan = Plan.build(demo, Facts())
    inputs = plan.metric_inputs("photos", alpha=True)
    metric = plan.scoring.metric
    assert inputs.weights == {metric: f"resources/weights/metrics/{metric}"}  # pixels need none
    assert set(inputs.embeddings) == set(plan.scoring.metrics)
    assert inputs.embeddings[metric] == f"results/embeddings/photos/{metric}.zarr"
    assert inputs.mis_alpha is None  # no IMI branch in the demo
    assert inputs.files() == [*inputs.weights.values(), *inputs.embeddings.values()]
    assert plan.metric_inputs().embeddings == {}  # no pool: weights alone
