import numpy as np
import pytest

from superposition.recovery import recovery_scores


def test_exact_directions_in_any_order_and_scale_score_one(rng):
    truth = rng.normal(size=(5, 8))
    found = 3 * truth[[4, 2, 0, 1, 3]]
    s = recovery_scores(found, truth)
    assert s["matched_cosine"] == pytest.approx(1)
    assert s["recovered"] == 1


def test_missing_directions_lower_the_matched_score(rng):
    truth = np.eye(4)
    s = recovery_scores(np.eye(4)[:2], truth)
    assert s["best_cosine"] == pytest.approx(0.5)
    assert s["matched_cosine"] == pytest.approx(0.5)
