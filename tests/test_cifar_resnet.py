"""He et al.'s CIFAR ResNets, labelled pools and the accuracy check, on the shared real
copies where the machine has them (../shared/research-data), else on files made here."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from superposition.classes import CIFAR10_CLASSES, class_targets, imagenet_wnids
from superposition.images import POOLS, class_labels
from superposition.models import (ArchitectureFacts, FAMILIES, build_model, check_weight_file,
                                  layer_widths, model_row_problems, resolve_layers)
from superposition.preflight import Cache
from superposition.weights import fetch, mirrored

SHARED = Path(__file__).resolve().parents[2] / "shared/research-data"
RESNETS = SHARED / "cifar10_resnets"
CIFAR_TEST = SHARED / "cifar10/cifar10_test.zip"
needs_shared = pytest.mark.skipif(not RESNETS.is_dir() or not CIFAR_TEST.is_file(),
                                  reason="no shared research data beside the project")


@pytest.mark.parametrize("depth, params", [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85),
                                           (110, 1.7)])
def test_he_cifar_resnets_have_the_published_sizes_and_three_stages(depth, params):
    model = FAMILIES.get("cifar_resnet").build(f"resnet{depth}")
    count = sum(p.numel() for p in model.parameters()) / 1e6
    assert abs(count - params) < 0.02 * params + 0.005  # He et al. Table 6, rounded
    layers, depths = resolve_layers(f"cifar_resnet/resnet{depth}", "stages")
    assert layers == ["layer1", "layer2", "layer3"]
    assert layer_widths(f"cifar_resnet/resnet{depth}", layers, size=32) == {
        "layer1": 16, "layer2": 32, "layer3": 64}
    with torch.no_grad():
        assert model.eval()(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_any_depth_6n_plus_2_builds_and_others_are_refused():
    assert len(FAMILIES.get("cifar_resnet").build("resnet14").layer1) == 2
    with pytest.raises(ValueError, match="resnet<6n\\+2>"):
        FAMILIES.get("cifar_resnet").build("resnet51")


def test_option_a_shortcut_subsamples_and_zero_pads():
    block = FAMILIES.get("cifar_resnet").build("resnet8").layer2[0].eval()
    for m in (block.conv1, block.conv2):
        torch.nn.init.zeros_(m.weight)
    x = torch.rand(1, 16, 8, 8)
    with torch.no_grad():
        out = block(x)  # the residual branch is 0 (BN of zeros, no bias): the shortcut alone
    assert out.shape == (1, 32, 4, 4)
    torch.testing.assert_close(out[:, 8:24], torch.relu(x[:, :, ::2, ::2]))
    assert out[:, :8].abs().max() == 0 and out[:, 24:].abs().max() == 0


def test_weight_tags_name_the_upstream_files_and_paths_are_local_files(tmp_path):
    family = FAMILIES.get("cifar_resnet")
    source = family.weights_source("resnet56", "akamaster")
    assert source.url.endswith("pretrained_models/resnet56-4bfd9763.th")
    assert source.sha256.startswith("4bfd9763")
    with pytest.raises(KeyError, match="no weights 'imagenet'"):
        family.weights_source("resnet56", "imagenet")
    with pytest.raises(KeyError, match="does not exist"):
        family.weights_source("resnet56", str(tmp_path / "nothing.th"))
    assert mirrored(source, str(tmp_path)).url == (tmp_path / "resnet56-4bfd9763.th").as_uri()
    assert mirrored(source, "file:///m/").url == "file:///m/resnet56-4bfd9763.th"


def _checkpoint(path, name, prefix="module."):
    model = FAMILIES.get("cifar_resnet").build(name)
    state = {prefix + k: v for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}  # as old checkpoints have it
    torch.save({"best_prec1": 50.0, "state_dict": state}, path)
    return model


def test_a_local_checkpoint_loads_and_one_of_another_depth_is_refused(tmp_path):
    path = tmp_path / "mine.th"
    model = _checkpoint(path, "resnet8")
    check_weight_file("cifar_resnet/resnet8", str(path))
    hub = tmp_path / "hub"
    fetch(FAMILIES.get("cifar_resnet").weights_source("resnet8", str(path)), hub)
    loaded = build_model("cifar_resnet/resnet8", str(path), hub_dir=str(hub), seed=1)
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model.eval()(x))
    with pytest.raises(ValueError, match="does not fit cifar_resnet/resnet14.*missing"):
        check_weight_file("cifar_resnet/resnet14", str(path))
    rows = {"models": {"m": {"architecture": "cifar_resnet/resnet14", "layers": ["layer1"],
                             "weights": str(path)}}}
    [problem] = model_row_problems(rows, ArchitectureFacts(Cache(tmp_path / "f.json")))
    assert problem.startswith("models.m: ") and "does not fit" in problem


def test_a_file_named_as_an_upstream_file_must_have_its_checksum(tmp_path):
    path = tmp_path / "resnet20-12fca82f.th"
    _checkpoint(path, "resnet20")
    with pytest.raises(ValueError, match="does not match the sha256 12fca82f0beb"):
        check_weight_file("cifar_resnet/resnet20", str(path))


def test_class_labels_from_class_folders_and_wnids():
    assert class_labels(["cat/0.jpg", "dog/0.jpg"]) == (["cat", "dog"], "folder")
    assert class_labels(["n01440764_tench.JPEG", "n01443537_goldfish.JPEG"]) == (
        ["n01440764", "n01443537"], "wnid")
    assert class_labels(["images/image0001.jpg", "images/image0002.jpg"]) == (
        ["image0001", "image0002"], None)


def test_labels_map_to_cifar_and_imagenet_outputs():
    targets, dataset = class_targets(["ship", "airplane"], 10)
    assert dataset == "cifar10" and list(targets) == [8, 0]
    wnids = imagenet_wnids()
    assert len(wnids) == 1000 and wnids[0] == "n01440764" and wnids == sorted(wnids)
    assert list(class_targets(["n01443537"], 1000)[0]) == [1]
    assert class_targets(["ship"], 1000)[0] is None
    assert "neither" in class_targets(["ship"], 7)[1]


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, colour in members:
            buf = io.BytesIO()
            Image.new("RGB", (32, 32), colour).save(buf, "PNG")
            zf.writestr(name, buf.getvalue())


def test_a_zip_in_class_folders_is_a_labelled_pool_balanced_in_any_prefix(tmp_path):
    _zip(tmp_path / "c.zip", [(f"{c}/{i:04d}.png", (i, 0, 0))
                              for c in ("cat", "lion") for i in range(3)])
    pool = POOLS.get("zip")(path=str(tmp_path / "c.zip"), size=8, n_images=4)
    assert pool.labels == ["cat", "lion", "cat", "lion"] and pool.classes == "folder"
    with pytest.raises(ValueError, match="no CIFAR-10 zip.*found lion"):
        POOLS.get("cifar10")(path=str(tmp_path / "c.zip"), size=8)


@needs_shared
def test_resnet20_classifies_the_shared_cifar10_test_images(tmp_path):
    """The upstream ResNet-20, fetched from a mirror folder (sha256-checked), on 1,000 of
    the JPEG test images (100 a class), through the workflow's own pass: >= 0.75 top-1 (a
    network whose weights load wrongly scores about 0.1)."""
    from superposition.activations import layer_layouts, stream_activations
    from superposition.pipeline.responses import Classification

    pool = POOLS.get("cifar10")(path=str(CIFAR_TEST), size=32, n_images=1000)
    assert pool.classes == "cifar10" and set(pool.labels) == set(CIFAR10_CLASSES)
    family = FAMILIES.get("cifar_resnet")
    fetch(mirrored(family.weights_source("resnet20", "akamaster"), str(RESNETS)), tmp_path)
    model = build_model("cifar_resnet/resnet20", "akamaster", hub_dir=str(tmp_path), seed=0)
    images = np.concatenate(list(pool.images.batches(250, 2)))
    check = Classification("pool", class_targets(pool.labels, 10)[0], "cifar10", 10)
    layouts = layer_layouts(model, ["layer1"], shape=(32, 32), size=None, mean=family.mean,
                            std=family.std, device="cpu",
                            statistic="centre")
    stream_activations(model, layouts, images=images, statistic="centre", batch_size=250, size=None,
                       mean=family.mean, std=family.std,
                       device="cpu", write=lambda rows: None, predict=check.add)
    assert check.seen == 1000 and check.correct / check.seen >= 0.75


def test_the_cifar10_config_plans_the_paper_s_experiment(tmp_path):
    """config/cifar10.yaml as users run it with a network: downloads of the archive and
    of the upstream weights, three depths with their untrained twins, every stage."""
    from runs import ROOT, snakemake

    out = snakemake("-n", "--quiet", "rules", "--configfile", ROOT / "config/cifar10.yaml",
                    "-d", tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    counts = dict(line.split()[:2] for line in out.stdout.splitlines()
                  if len(line.split()) == 2 and line.split()[1].isdigit())
    assert counts["download_dataset"] == "1" and counts["fetch_model_weights"] == "3"
    assert counts["cache_activations"] == "6" and counts["find_untrained"] == "9"
    assert counts["accuracy_table"] == "1" and counts["figure_zoo"] == "1"


@needs_shared
@pytest.mark.workflow(seconds=170)
def test_the_cifar10_config_runs_on_a_subset_of_the_shared_copies(tmp_path):
    """config/cifar10.yaml on 1,000 of the JPEG training images, offline: the weights
    from the mirror folder, ResNet-20's accuracy in the table, labels in the semantics."""
    from runs import ROOT, snakemake, with_absolute_paths

    local = with_absolute_paths(ROOT / "config/cifar10_local.yaml", tmp_path)
    out = snakemake("--cores", "2", "--configfile", ROOT / "config/cifar10.yaml",
                    local, ROOT / "tests/scenarios/cifar10_subset.yaml",
                    "-d", tmp_path / "run", timeout=900)
    assert out.returncode == 0, out.stderr[-4000:]
    run = tmp_path / "run/results"
    accuracy = pd.read_csv(run / "tables/accuracy.csv")
    assert list(accuracy.columns[:4]) == ["source", "pool", "n_images", "top1"]
    [row] = accuracy.itertuples()
    assert row.source == "cifar_resnet_resnet20" and row.n_images == 1000 and row.top1 > 0.75
    semantics = pd.read_csv(run / "analyses/cifar_resnet_resnet20/layer3/semantics.csv")
    assert set(semantics.attribute) == {"label", "class"}
    net = pd.read_csv(run / "tables/net_effects.csv")
    assert {"cifar_resnet_resnet20"} == set(net.source)
    assert (run / "figures/zoo.png").exists()


def test_a_pool_without_class_labels_is_refused_where_accuracy_is_asked_for(tmp_path):
    """Before any job: a zip whose images carry no class (flat imageNNNN.png)."""
    import yaml

    from runs import ROOT, snakemake

    _zip(tmp_path / "flat.zip", [(f"image{i:04d}.png", (i, 0, 0)) for i in range(300)])
    layer = {"image_pools": {"flat": {"kind": "zip", "path": str(tmp_path / "flat.zip"),
                                      "size": 32}},
             "zoo": {"cifar_resnet": {"pool": "flat"}}}
    (tmp_path / "flat.yaml").write_text(yaml.safe_dump(layer))
    out = snakemake("-n", "--configfile", ROOT / "config/cifar10.yaml", tmp_path / "flat.yaml",
                    "-d", tmp_path / "run")
    assert out.returncode != 0
    assert ("models.cifar_resnet_resnet20 asks for its accuracy, but pool flat has no class "
            "labels") in out.stdout + out.stderr
    assert not (tmp_path / "run/results").exists()


def test_a_classifier_near_chance_is_warned_about(tmp_path, caplog):
    from superposition.pipeline.responses import Classification, accuracy_table

    check = Classification("results/pools/p.zarr", np.arange(100) % 10, "cifar10", 10)
    check.add(np.zeros(100, int))  # always class 0: 10% right
    check.write(tmp_path / "accuracy.json", "net")
    assert "net classifies pool p at 10.0% top-1, near chance (10.0%)" in caplog.text
    accuracy_table([str(tmp_path), str(tmp_path / "none")], str(tmp_path / "a.csv"),
                   str(tmp_path / "a.log"))
    table = pd.read_csv(tmp_path / "a.csv")
    assert table.to_dict("records") == [{"source": "net", "pool": "p", "n_images": 100,
                                         "top1": 0.1, "classes": "cifar10", "chance": 0.1}]
    assert "without one" in (tmp_path / "a.log").read_text()
