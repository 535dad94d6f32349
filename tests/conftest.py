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


def pytest_collection_modifyitems(items):
    """The longest files first (a workflow marker's `seconds`: its file's rough time in the
    suite), so that `--dist loadfile --no-loadscope-reorder` hands them out before the short
    ones and no worker is left alone with a long run at the end. Stable: a file's tests keep
    their order."""
    seconds = {}
    for item in items:
        marker = item.get_closest_marker("workflow")
        cost = marker.kwargs.get("seconds", 0) if marker else 0
        seconds[item.path] = max(seconds.get(item.path, 0), cost)
    items.sort(key=lambda item: -seconds[item.path])
