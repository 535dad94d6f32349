"""Shared fixtures: small images and response matrices made by the tests."""

import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def flat_images():
    """24 uniformly coloured 16x16 images; image i has grey level 10 * i."""
    levels = (np.arange(24) * 10).astype(np.uint8)
    return np.broadcast_to(levels[:, None, None, None], (24, 16, 16, 3)).copy()
