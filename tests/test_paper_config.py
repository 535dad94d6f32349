"""The paper's configuration (config/paper.yaml): CIFAR-10 ResNet-50, LPIPS-AlexNet.

CIFAR-10, the CIFAR ResNet weights and AlexNet's weights cannot be downloaded
here, so the end-to-end run swaps in a CIFAR-10 archive in the real format made
by the test, random network weights and LPIPS with a random backbone; every
other setting is the paper's, shrunk in size. The run covers layer1: K-means
with K = 2n needs more images than 2n (4,096 for layer4's 2,048 channels), and
ICA of 2,048 dimensions is too slow for a CPU test suite.
"""

import io
import pickle
import tarfile
import zipfile

import numpy as np
import pytest
import torch
import yaml

from superposition.images import cifar10
from superposition.models import build_model, layer_names
from superposition.pipeline.io import read_table
from superposition.weights import WeightsSource, fetch
from runs import ROOT, snakemake

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck"]


def write_cifar_archive(path, per_batch, rng):
    """cifar-10-python.tar.gz as published: pickled batches of 3072-byte rows."""
    with tarfile.open(path, "w:gz") as tar:
        def add(name, obj):
            data = pickle.dumps(obj)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("batches.meta", {"label_names": CLASSES, "num_cases_per_batch": per_batch})
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            labels = rng.integers(0, 10, per_batch)
            # each class has its own colour, so class semantics are checkable
            rows = np.repeat((labels[:, None] * 25).astype(np.uint8), 3072, axis=1)
            rows = np.clip(rows + rng.integers(0, 20, rows.shape), 0, 255).astype(np.uint8)
            add(name, {"data": rows, "labels": labels.tolist(), "batch_label": name})


@pytest.fixture
def cifar_archive(tmp_path, rng):
    path = tmp_path / "cifar-10-python.tar.gz"
    write_cifar_archive(path, 60, rng)
    return path


def test_cifar10_pool_reads_the_published_archive(cifar_archive):
    train = cifar10(str(cifar_archive), split="train")
    test = cifar10(str(cifar_archive), split="test")
    assert train.images.shape == (300, 32, 32, 3) and test.images.shape == (60, 32, 32, 3)
    assert set(train.labels) <= set(CLASSES)
    cls = train.factors["class"]
    assert train.images[cls == 9].mean() > train.images[cls == 0].mean() + 100
    with pytest.raises(ValueError, match="train or test"):
        cifar10(str(cifar_archive), split="val")


def test_cifar_resnet50_has_the_paper_architecture():
    model = build_model("cifar10/resnet50", "random", hub_dir=None, seed=0)
    assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (1, 1)
    assert model.fc.out_features == 10
    assert {"layer1", "layer2", "layer3", "layer4"} <= set(layer_names("cifar10/resnet50"))
    with torch.no_grad():
        assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
        # the max-pool is kept: layer1 maps are 16 x 16 for 32 px inputs
        out = torch.nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool,
                                  model.layer1)(torch.zeros(1, 3, 32, 32))
    assert out.shape == (1, 256, 16, 16)


def test_weights_are_extracted_from_the_release_archive(tmp_path):
    state = build_model("cifar10/resnet18", "random", hub_dir=None, seed=1).state_dict()
    buf = io.BytesIO()
    torch.save(state, buf)
    with zipfile.ZipFile(tmp_path / "state_dicts.zip", "w") as zf:
        zf.writestr("state_dicts/resnet18.pt", buf.getvalue())
    source = WeightsSource("cifar10_resnet18.pt", (tmp_path / "state_dicts.zip").as_uri(),
                           "state_dicts/resnet18.pt")
    fetch(source, tmp_path / "hub")
    loaded = build_model("cifar10/resnet18", "huyvnphan", hub_dir=str(tmp_path / "hub"), seed=2)
    torch.testing.assert_close(loaded.state_dict()["fc.weight"], state["fc.weight"])


def test_paper_config_dry_runs(tmp_path):
    out = snakemake("-n", "-d", tmp_path, "--configfile", ROOT / "config/paper.yaml")
    assert out.returncode == 0, out.stderr[-3000:]
    for rule in ("download_dataset", "fetch_model_weights", "fetch_metric_weights",
                 "cache_activations", "further_analyses", "figure_summary"):
        assert rule in out.stdout
    # every paper method is scored beside its shuffled-fit null, on every layer
    for method in ("kmeans", "pca", "ica", "nmf", "topk_sae", "kmeans@0.5", "kmeans@2"):
        shuffled = method.replace("@", "_shuffled@") if "@" in method else f"{method}_shuffled"
        for layer in ("layer1", "layer4"):
            assert f"results/scores/resnet50_cifar10/{layer}/{shuffled}.csv" in out.stdout


def test_paper_config_with_the_imi_validation_dry_runs(tmp_path):
    out = snakemake("-n", "-d", tmp_path, "--configfile", ROOT / "config/paper.yaml",
                    ROOT / "config/imi.yaml", "--config", f'imi={{"imagenet_root": "{tmp_path}"}}')
    assert out.returncode == 0, out.stderr[-3000:]
    for rule in ("imi_trials", "imi_stimuli", "imi_evidence", "imi_validation", "figure_imi"):
        assert rule in out.stdout
    assert "resources/datasets/imi2023/responses_main.csv" in out.stdout


@pytest.mark.workflow(seconds=140)
def test_paper_config_runs_offline_with_random_weights(tmp_path, rng):
    write_cifar_archive(tmp_path / "cifar.tar.gz", 120, rng)  # 600 training images
    cfg = yaml.safe_load((ROOT / "config/paper.yaml").read_text())
    cfg["image_pools"]["cifar10_train"]["path"] = str(tmp_path / "cifar.tar.gz")
    for row in cfg["models"].values():
        row.update(weights="random", batch_size=100, layers=["layer1"])
    cfg["scoring"].update(metric="lpips_alex_random", n_random=50)
    cfg["directions"]["kmeans"]["n_init"] = 2
    # K-means and PCA with their shuffled fits, and the K sweep: the dry run above shows every
    # method planned with its null; the tiny run and tests/test_user_network.py run the rest
    cfg["directions"]["methods"] = ["neurons", "kmeans", "kmeans_shuffled", "pca",
                                    "pca_shuffled", "random"]
    cfg["directions"]["k_sweep"] = cfg["directions"]["k_sweep"][:1]
    cfg["analyses"]["synergy"]["n_pairs"] = 10
    cfg["analyses"]["interpolation"]["n_pairs"] = 3
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake("--cores", 2, "-d", tmp_path / "run", "--configfile", tmp_path / "config.yaml",
                    timeout=1500)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    summary = read_table(tmp_path / "run/results/tables/ii_summary.csv")
    assert set(summary.source) == {"resnet50_cifar10", "resnet50_cifar10_untrained"}
    assert {"kmeans@0.5", "kmeans", "kmeans@2"} <= set(summary.method)
    rows = summary.set_index(["source", "layer", "method"])
    n = rows.n + rows.dead  # every direction, scored or dead
    assert n["resnet50_cifar10", "layer1", "kmeans@2"] == 2 * n["resnet50_cifar10", "layer1",
                                                                "neurons"]
    meta = (tmp_path / "run/results/scores/resnet50_cifar10/layer1/kmeans.json").read_text()
    assert "RANDOM alex backbone" in meta
    scores = read_table(tmp_path / "run/results/scores/resnet50_cifar10/layer1/kmeans.csv")
    assert scores.mis.between(0, 1).all() and scores.ii_excess.notna().all()
    net = read_table(tmp_path / "run/results/tables/net_effects.csv")
    # each method net of its shuffled fit, and of the untrained null
    shuffled = set(net[net.null == "shuffled"].method)
    assert shuffled == {"kmeans", "pca", "kmeans@0.5", "kmeans@2"}
    assert set(net[net.null == "untrained"].null_source) == {"resnet50_cifar10_untrained"}
