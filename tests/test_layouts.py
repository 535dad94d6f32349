"""Layer layouts: the width is the channel count, and each statistic takes the token or
pixel it should. Each case marks the tapped layer's output, in the layout written out
here by hand, with every position's index, and reads back what the statistic took."""

import pytest
import torch
from torch import nn

from superposition.activations import LayerTaps, layer_layouts
from superposition.layouts import detect

MEAN = STD = (0.5, 0.5, 0.5)


def _timm(name, **kw):
    import timm

    return timm.create_model(name, pretrained=False, **kw).eval()


def _open_clip_vit():
    from open_clip.transformer import VisionTransformer

    return VisionTransformer(image_size=32, patch_size=8, width=48, layers=2, heads=2,
                             mlp_ratio=2.0, output_dim=16).eval()


def _torchvision_vit():
    from torchvision.models.vision_transformer import VisionTransformer

    return VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                             hidden_dim=48, mlp_dim=96).eval()


class _SequenceFirst(nn.Module):
    """A conv map emitted as a T x N x C sequence, as older attention modules do."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 4, stride=4)
        self.seq = nn.Identity()

    def forward(self, x):
        return self.seq(self.conv(x).flatten(2).permute(2, 0, 1))


# model, layer, input side, the layout as written by hand, channels, prefix tokens
CASES = {
    "timm ViT": (lambda: _timm("vit_tiny_patch16_224", img_size=64), "blocks.1", 64, "ntc",
                 192, 1),
    "DeiT (distillation token)": (
        lambda: _timm("deit_tiny_distilled_patch16_224", img_size=64), "blocks.1", 64, "ntc",
        192, 2),
    "DINOv2 with registers": (lambda: _timm("vit_small_patch14_reg4_dinov2", img_size=70),
                              "blocks.1", 70, "ntc", 384, 5),
    "timm Swin (channels last)": (lambda: _timm("swin_tiny_patch4_window7_224"), "layers.1",
                                  224, "nhwc", 192, 0),
    "ConvNeXt": (lambda: _timm("convnext_atto"), "stages.1", 64, "nchw", 80, 0),
    "open_clip ViT": (_open_clip_vit, "transformer.resblocks.1", 32, "ntc", 48, 1),
    "torchvision ViT": (_torchvision_vit, "encoder.layers.encoder_layer_1", 32, "ntc", 48, 1),
    "sequence first": (_SequenceFirst, "seq", 32, "tnc", 12, 0),
}


def _marked(kind, shape):
    """An output of ``shape`` in layout ``kind`` whose every entry is its position's
    index: the token index for sequences, row x width + column for maps."""
    if kind == "ntc":
        return torch.arange(shape[1], dtype=torch.float)[None, :, None].expand(shape)
    if kind == "tnc":
        return torch.arange(shape[0], dtype=torch.float)[:, None, None].expand(shape)
    if kind == "nhwc":
        return torch.arange(shape[1] * shape[2], dtype=torch.float).view(
            1, shape[1], shape[2], 1).expand(shape)
    return torch.arange(shape[2] * shape[3], dtype=torch.float).view(
        1, 1, shape[2], shape[3]).expand(shape)


def _taken(model, layer, side, statistic, kind):
    """What ``statistic`` took from the marked output, and the layer's layout."""
    layouts = layer_layouts(model, [layer], shape=(side, side), size=None, mean=MEAN, std=STD,
                            device="cpu", statistic=statistic)
    module = dict(model.named_modules())[layer]
    mark = module.register_forward_hook(lambda m, i, out: _marked(kind, out.shape).clone())
    taps = LayerTaps(model, [layer], lambda name, t: layouts[name].reduce(t, statistic))
    try:
        out = taps(torch.zeros(2, 3, side, side))[layer]
    finally:
        taps.close()
        mark.remove()
    return out, layouts[layer]


@pytest.mark.parametrize("case", CASES)
def test_each_layout_reads_its_channels_and_the_right_positions(case):
    build, layer, side, kind, channels, prefix = CASES[case]
    model = build()
    centre, layout = _taken(model, layer, side, "centre", kind)
    assert (layout.kind, layout.channels, layout.prefix) == (kind, channels, prefix)
    rows, cols = layout.grid
    assert centre.shape == (2, channels)
    # the centre patch token (after the prefix tokens) or the centre pixel
    assert torch.all(centre == prefix + (rows // 2) * cols + cols // 2)
    mean, _ = _taken(model, layer, side, "mean", kind)
    patches = torch.arange(prefix, prefix + rows * cols, dtype=torch.float)
    torch.testing.assert_close(mean, torch.full((2, channels), float(patches.mean())))
    if prefix:
        cls, _ = _taken(model, layer, side, "cls", kind)
        assert torch.all(cls == 0)  # the class token comes first
        assert "class token" in layout.describe("cls")
    else:
        with pytest.raises(ValueError, match="takes the class token"):
            _taken(model, layer, side, "cls", kind)


def test_the_preflight_reads_the_width_as_the_channels():
    from superposition.models import layer_widths

    assert layer_widths("timm/vit_tiny_patch16_224", ["blocks.5"], size=224) == {"blocks.5": 192}
    assert layer_widths("torchvision/vit_b_16", ["encoder.layers.encoder_layer_5"], size=224) == {
        "encoder.layers.encoder_layer_5": 768}
    assert layer_widths("timm/swin_tiny_patch4_window7_224", ["layers.1"], size=224) == {
        "layers.1": 192}


def test_vectors_are_read_whole():
    layout = detect((2, 192), 2)
    assert (layout.kind, layout.channels) == ("nc", 192)
    t = torch.randn(2, 192)
    assert torch.equal(layout.reduce(t, "centre"), t)


def test_an_ambiguous_map_is_refused_and_the_config_decides():
    with pytest.raises(ValueError, match=r"layer x: an output of shape \(1, 7, 7, 7\).*"
                                         r"set layout: \(one of nchw, nhwc"):
        detect((1, 7, 7, 7), 1, where="layer x")
    assert detect((1, 7, 7, 7), 1, layout="nhwc").kind == "nhwc"
    with pytest.raises(ValueError, match="layout nchw needs 4 dimensions"):
        detect((1, 197, 192), 1, layout="nchw")
    with pytest.raises(ValueError, match="unknown layout 'nwhc'"):
        detect((1, 7, 7, 7), 1, layout="nwhc")


def test_a_token_count_with_no_square_grid_is_refused():
    with pytest.raises(ValueError, match="no square grid of patch tokens"):
        detect((1, 7, 64), 1, prefix=1)


def test_a_map_that_reads_both_ways_follows_the_layout_its_model_declares():
    """timm's MambaOut at 64 px: its first stage is 16 x 16 x 16, channels last."""
    from superposition.layouts import declared_maps

    model = _timm("test_mambaout")
    assert declared_maps(model) == "nhwc"
    layout = layer_layouts(model, ["stages.0"], shape=(64, 64), size=None, mean=MEAN, std=STD,
                           device="cpu",
                           statistic="centre")["stages.0"]
    assert (layout.kind, layout.channels) == ("nhwc", 16)
