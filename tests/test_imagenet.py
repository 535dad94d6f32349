"""The ImageNet networks on ImageNet photographs (config/imagenet.yaml) on the shared
sample of 1,000 photographs (../shared/research-data), with their accuracy and the IMI
catch trials beside them."""

from pathlib import Path

import pandas as pd
import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared/research-data"
IMAGENET = SHARED / "imagenet_sample/imagenet_sample_256.zip"
CATCH = SHARED / "imi_catch_trials"
needs_shared = pytest.mark.skipif(not IMAGENET.is_file() or not CATCH.is_dir(),
                                  reason="no shared ImageNet sample or IMI catch trials")


@needs_shared
def test_the_imagenet_config_plans_both_networks_with_their_accuracy(tmp_path):
    """config/imagenet.yaml on the shared sample: the two offline ImageNet networks at
    three stages each, with their untrained twins; the preflight finds the wnid classes
    that accuracy: true asks for."""
    from runs import ROOT, snakemake, with_absolute_paths

    config = with_absolute_paths(ROOT / "config/imagenet.yaml", tmp_path)
    out = snakemake("-n", "--quiet", "rules", "--configfile", config, "-d", tmp_path / "run")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    counts = dict(line.split()[:2] for line in out.stdout.splitlines()
                  if len(line.split()) == 2 and line.split()[1].isdigit())
    assert counts["cache_activations"] == "4" and counts["find_untrained"] == "6"
    assert counts["accuracy_table"] == "1" and counts["claims_document"] == "1"
    assert counts["imi_catch_trials"] == "1"  # the real positive control beside them


@needs_shared
@pytest.mark.workflow(seconds=150)
def test_the_imagenet_config_runs_on_a_subset_of_the_shared_photographs(tmp_path):
    """config/imagenet.yaml with the scenario tests/scenarios/imagenet_subset.yaml: 200
    photographs, MobileNetV2 and its untrained twin at one stage, its accuracy, the scores
    and nulls, the flat crops among the top sets, and the IMI catch trials, where the
    deep-feature metric wins every 2-AFC task that pixels lose."""
    from runs import ROOT, snakemake, with_absolute_paths

    config = with_absolute_paths(ROOT / "config/imagenet.yaml", tmp_path)
    out = snakemake("--cores", "2", "--configfile", config,
                    ROOT / "tests/scenarios/imagenet_subset.yaml",
                    "-d", tmp_path / "run", timeout=900)
    assert out.returncode == 0, out.stderr[-4000:]
    run = tmp_path / "run/results"
    [row] = pd.read_csv(run / "tables/accuracy.csv").itertuples()
    assert row.source == "mobilenet_v2" and row.n_images == 200 and row.top1 > 0.6
    net = pd.read_csv(run / "tables/net_effects.csv")
    assert set(net.null) == {"untrained", "shuffled"} and set(net.layer) == {"features.6"}
    flat = pd.read_csv(run / "tables/flat_crops.csv")
    assert {"neurons", "kmeans", "topk_sae"} <= set(flat.method)
    assert flat.flat_top.between(0, 1).all()
    catch = pd.read_csv(run / "tables/imi_catch_trials.csv")
    assert len(catch) == 14 and set(catch.metric) == {"deepfeat_efficientnet_lite0", "pixel"}
    deep = catch[catch.metric == "deepfeat_efficientnet_lite0"]
    assert deep.accuracy.min() >= 0.9 and (deep.ii_max > deep.ii_random_mean).all()
    assert catch[catch.metric == "pixel"].accuracy.min() < 0.9
    text = (run / "RESULTS.md").read_text()
    assert "## A real positive control: the IMI catch trials" in text
    assert "## Flat crops among the top sets" in text
