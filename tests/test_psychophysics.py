import numpy as np
import pytest

from superposition.metrics import build_metric
from superposition.psychophysics import accuracy_table, design_trials, run_2afc


def test_queries_never_repeat_references(rng):
    d = design_trials(rng.normal(size=(200, 3)), 9, quantiles=[0.0, 0.4], n_trials=10, band=0.05,
                      seed=0)
    for u in range(3):
        refs = set(d["refs_max"][u]) | set(d["refs_min"][u])
        assert not refs & set(d["q_max"][u].ravel())
        assert not refs & set(d["q_min"][u].ravel())


def test_too_few_images_are_refused(rng):
    with pytest.raises(ValueError, match="too few"):
        design_trials(rng.normal(size=(25, 2)), 9, quantiles=[0.0], n_trials=10, band=0.05, seed=0)


def test_accuracy_falls_from_extreme_to_median_queries(rng):
    """Grey level drives the units: a clean unit stays perfect, a noisy one falls to chance."""
    n = 600
    grey = rng.permutation(np.linspace(0, 255, n)).astype(np.uint8)
    images = np.broadcast_to(grey[:, None, None, None], (n, 8, 8, 3)).copy()
    clean = grey.astype(float)
    noisy = clean + rng.normal(0, 60, n)
    unrelated = rng.normal(size=n)
    quantiles = [0.0, 0.45]
    d = design_trials(np.stack([clean, noisy, unrelated], 1), 9, quantiles=quantiles, n_trials=60,
                      band=0.04, seed=1)
    result = run_2afc(d, images, metric=build_metric("pixel"), pooling="max")
    acc = accuracy_table(result, ["clean", "noisy", "unrelated"], quantiles).set_index(
        ["direction", "quantile"]).accuracy
    assert acc["clean", 0.0] == acc["clean", 0.45] == 1.0
    assert acc["noisy", 0.0] > 0.95
    assert acc["noisy", 0.45] < 0.75
    assert 0.25 < acc["unrelated", 0.0] < 0.75


def test_mean_pooling_is_also_supported(rng, flat_images):
    responses = np.arange(24, dtype=float)[:, None]
    d = design_trials(responses, 3, quantiles=[0.0], n_trials=4, band=0.1, seed=0)
    result = run_2afc(d, flat_images, metric=build_metric("colour"), pooling="mean")
    assert result["correct"].mean() == 1.0


def test_softmax_observer_is_z_scored_per_trial():
    """P(correct) is unchanged by an affine change of a trial's similarities, above
    0.5 when the queries match their own side, and below when they are swapped."""
    import torch

    from superposition.psychophysics import softmax_correct

    rng = np.random.default_rng(0)
    near = torch.tensor(rng.normal(-1, 0.1, (2, 5, 4)))
    far = torch.tensor(rng.normal(-3, 0.1, (2, 5, 4)))
    sims = (near[0], far[0], far[1], near[1])  # s_pp, s_pn, s_np, s_nn
    p = softmax_correct(*sims)
    assert p.shape == (5,) and (p > 0.5).all()
    assert torch.allclose(p, softmax_correct(*(3 * s + 7 for s in sims)))
    assert (softmax_correct(far[0], near[0], near[1], far[1]) < 0.5).all()


def test_stimulus_set_evidence_does_not_depend_on_the_chunk_size(rng):
    from superposition.metrics import build_metric
    from superposition.psychophysics import stimulus_set_evidence

    images = rng.integers(0, 255, (60, 16, 16, 3), dtype=np.uint8)
    sets = np.stack([rng.choice(60, 20, replace=False) for _ in range(9)])
    metric = build_metric("lpips_alex_random", size=32)
    whole = stimulus_set_evidence(sets, images, metric=metric)
    width = metric.embed(images[:1]).shape[1]
    chunked = stimulus_set_evidence(sets, images, metric=metric, max_bytes=40 * 4 * width)  # 2 sets
    assert set(whole) == {"all", "max_side", "mis", "lpips1", "lpips2", "lpips3", "lpips4",
                          "lpips5"}
    for name in whole:
        assert np.allclose(whole[name], chunked[name], atol=1e-6)
    mean = stimulus_set_evidence(sets, images, metric=metric,
                                 pooling="mean")  # additive over layers
    assert np.allclose(sum(mean[f"lpips{i}"] for i in range(1, 6)), mean["all"], atol=1e-5)
