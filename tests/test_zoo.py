import pytest

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
                                  "weights": "IMAGENET1K_V1"}  # torchvision's default tag
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
    ("torchvision/mobilenet_v2", [f"features.{i}" for i in range(19)]),
    ("torchvision/densenet121", [f"features.denseblock{i}" for i in range(1, 5)]),
    ("torchvision/googlenet", ["inception3a", "inception3b", "inception4a", "inception4b",
                               "inception4c", "inception4d", "inception4e", "inception5a",
                               "inception5b"]),
    ("efficientnet_lite/efficientnet_lite0", [f"_blocks.{i}" for i in range(16)]),
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
