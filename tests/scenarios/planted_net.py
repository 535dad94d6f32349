"""A user's own network for tests/scenarios/user_network.yaml: 24 feature detectors
written into 8 units by a fixed mixing (superposition), exposed as planted_directions so
the workflow reports their recovery with no config for it."""

import torch


class Planted(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Conv2d(3, 24, 5, padding=2)
        self.mix = torch.nn.Conv2d(24, 8, 1, bias=False)
        self.planted_directions = self.mix.weight[:, :, 0, 0].T.detach()  # features x units

    def forward(self, x):
        return self.mix(torch.relu(self.features(x)))


def make():
    return Planted()
