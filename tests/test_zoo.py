import pandas as pd
import pytest
import xarray as xr

from runs import ROOT, snakemake
from superposition.models import resolve_layers, stage_layers
from superposition.zoo import expand_zoo, resolve_architectures, source_name


def test_a_glob_is_resolved_and_one_that_matches_nothing_names_the_closest():
    assert resolve_architectures(["timm/test_vit*", "tiny/cnn"]) == [
        "timm/test_vit", "timm/test_vit2", "timm/test_vit3", "timm/test_vit4",
        "timm/test_vit_relpos", "tiny/cnn"]
    with pytest.raises(ValueError, match="timm/test_vitt9\\* matches no model; closest: "):
        resolve_architectures(["timm/test_vitt9*"])
    with pytest.raises(ValueError, match="tiny/c\\*: the family cannot be searched"):
        resolve_architectures(["tiny/c*"])


def test_each_architecture_becomes_a_model_row_with_the_entry_keys():
    rows, index = expand_zoo({"z": {"architectures": ["timm/test_resnet", "torchvision/vit_b_16"],
                                    "pool": "photos", "layers": "stages",
                                    "statistic": "mean"}})
    assert set(rows) == {"z_test_resnet", "z_vit_b_16"} == set(index)
    assert rows["z_vit_b_16"] == {"architecture": "torchvision/vit_b_16", "pool": "photos",
                                  "layers": "stages", "statistic": "mean",
                                  "weights": "IMAGENET1K_V1",  # torchvision's default tag
                                  "input_size": None, "batch_size": 64,  # the entry's defaults
                                  "untrained_null": False, "accuracy": False}
    assert index["z_test_resnet"] == {"entry": "z", "architecture": "timm/test_resnet"}
    assert source_name("z", "open_clip/ViT-B-32") == "z_ViT_B_32"
    assert rows["z_test_resnet"]["weights"] == "r160_in1k"  # timm's default tag
    with pytest.raises(ValueError, match="tiny/cnn has no default pretrained weights"):
        expand_zoo({"z": {"architectures": ["tiny/cnn"], "pool": "p", "layers": "stages"}})


@pytest.mark.parametrize("architecture, stages", [
    ("timm/test_vit", [f"blocks.{i}" for i in range(6)]),  # timm's feature_info
    ("torchvision/resnet18", ["layer1", "layer2", "layer3", "layer4"]),
    ("torchvision/vit_b_16", [f"encoder.layers.encoder_layer_{i}" for i in range(12)]),
    ("torchvision/vgg11", ["features.2", "features.5", "features.10", "features.15",
                           "features.20"]),  # its max-pools end the stages
    # of its 19 blocks, those after which the map shrinks (112, 56, 28, 14 px), and the last
    ("torchvision/mobilenet_v2", ["features.1", "features.3", "features.6", "features.13",
                                  "features.18"]),
    ("torchvision/densenet121", [f"features.denseblock{i}" for i in range(1, 5)]),
    ("torchvision/googlenet", ["inception3b", "inception4e", "inception5b"]),
    ("efficientnet_lite/efficientnet_lite0", ["_blocks.0", "_blocks.2", "_blocks.4",
                                              "_blocks.10", "_blocks.15"]),
    ("torchvision/convnext_tiny", ["features.1", "features.3", "features.5", "features.7"]),
    ("torchvision/swin_t", ["features.1", "features.3", "features.5", "features.7"]),  # NHWC
    ("cifar_resnet/resnet56", ["layer1", "layer2", "layer3"]),
])
def test_stages_follow_the_documented_rule(architecture, stages):
    assert stage_layers(architecture) == stages


def test_depth_fractions_pick_the_first_stage_at_or_past_each_depth():
    layers, depths = resolve_layers("torchvision/resnet18", [0.25, 0.5, 0.6, 1.0])
    assert layers == ["layer1", "layer2", "layer3", "layer4"]
    assert depths == {"layer1": 0.25, "layer2": 0.5, "layer3": 0.75, "layer4": 1.0}
    assert resolve_layers("torchvision/resnet18", ["layer3", "fc"]) == (["layer3", "fc"],
                                                                        {"layer3": 0.75})
    with pytest.raises(ValueError, match="depth fractions lie in"):
        resolve_layers("torchvision/resnet18", [0.0, 1.5])


@pytest.mark.workflow(seconds=90)
def test_a_zoo_of_a_cnn_a_vit_and_a_channels_last_model_runs_from_one_row(tmp_path):
    """timm's tiny random test models, layers picked by relative depth: each read by its
    own layout, scored, and drawn side by side in the zoo figure (the scenario file
    tests/scenarios/zoo.yaml)."""
    out = snakemake("results/figures/zoo.png", "--cores", 2, "-d", tmp_path / "run",
                    "--configfile", ROOT / "tests/scenarios/zoo.yaml")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    table = pd.read_csv(tmp_path / "run/results/tables/zoo.csv")
    assert set(table.architecture) == {"timm/test_resnet", "timm/test_vit",
                                       "timm/test_mambaout"}
    assert set(table.score) == {"ii", "mis", "ii_excess"}
    assert set(table.method) == {"kmeans", "topk_sae"}
    layers = table.groupby("architecture").layer.unique().map(sorted).to_dict()
    assert layers == {"timm/test_resnet": ["layer2"], "timm/test_vit": ["blocks.2"],
                      "timm/test_mambaout": ["stages.1"]}  # half way: the 2nd of 4 stages
    assert table.depth.between(0.5, 1, inclusive="left").all()  # the first stage at or past
    vit = xr.open_zarr(tmp_path / "run/results/responses/tiny3_test_vit/blocks.2.zarr")
    assert vit.sizes["unit"] == 64  # the channels, not the 37 tokens
    read = vit.attrs["provenance"]["settings"]["read"]
    assert (read["layout"], read["prefix_tokens"], read["grid"]) == ("ntc", 1, [6, 6])
    mamba = xr.open_zarr(tmp_path / "run/results/responses/tiny3_test_mambaout/stages.1.zarr")
    assert mamba.sizes["unit"] == 32  # channels last: 12 x 12 x 32
    assert (tmp_path / "run/results/figures/zoo.png").stat().st_size > 10_000


def test_a_timm_vit_runs_at_the_row_s_input_size_or_is_refused_naming_one_that_works():
    """DINOv2 is built for 518 px; at 224 its position embeddings are resampled to the
    16 x 16 patch grid. A size its patches do not divide is refused before any job."""
    from superposition.models import layer_widths

    arch = "timm/vit_small_patch14_reg4_dinov2"
    assert layer_widths(arch, ["blocks.0", "blocks.11"], size=224) == {"blocks.0": 384,
                                                                  "blocks.11": 384}
    with pytest.raises(ValueError, match="does not run on 225 px.*set input_size: 518"):
        layer_widths(arch, ["blocks.0"], size=225)
