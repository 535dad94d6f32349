import numpy as np
import pytest

from superposition.analyses import (
    chance_purity, interpolation, lifetime_sparseness, power_law_spectrum, sample_pairs,
    split_halves, synergy, top_k_purity)


def test_lifetime_sparseness_is_one_for_a_single_response_and_zero_for_flat():
    r = np.zeros((100, 3))
    r[7, 0] = 5.0  # one image only
    r[:, 1] = np.linspace(0, 1, 100)
    r[:, 2] = 2.0  # flat: not sparse
    s = lifetime_sparseness(r)
    assert s[0] == pytest.approx(1.0)
    assert 0 < s[1] < 0.5
    assert s[2] == 0


def test_sample_pairs_are_distinct_and_bounded():
    p = sample_pairs(10, 20, seed=0)
    assert len(p) == 20 and len({tuple(x) for x in p}) == 20 and (p[:, 0] < p[:, 1]).all()
    assert len(sample_pairs(4, 100, seed=0)) == 6


def test_synergy_is_ii_of_the_pair_minus_the_better_constituent(rng):
    x = rng.normal(size=(50, 4))
    unit_ii = np.array([-1.0, -2.0, -3.0, -4.0])
    score = lambda resp: -np.abs(resp).mean(0)  # a stand-in II
    t = synergy(x, unit_ii, score=score, n_pairs=10, seed=0)
    z = (x - x.mean(0)) / x.std(0)
    row = t[(t.i == 0) & (t.j == 2)].iloc[0]
    pair = -np.abs((z[:, 0] + z[:, 2]) / np.sqrt(2)).mean()
    assert row.ii_pair == pytest.approx(pair)
    assert row.synergy == pytest.approx(pair - (-1.0))


def test_interpolation_endpoints_are_the_directions(rng):
    x = rng.normal(size=(40, 3))
    d = np.eye(3)
    t = interpolation(x, d, score=lambda resp: resp.max(0), n_pairs=3, alphas=[0, 0.5, 1], seed=0)
    for _, row in t[t.alpha == 0].iterrows():
        assert row.ii == pytest.approx(x[:, int(row.i)].max())
    for _, row in t[t.alpha == 1].iterrows():
        assert row.ii == pytest.approx(x[:, int(row.j)].max())


def test_split_halves_score_both_halves_and_bases(rng):
    x = np.abs(rng.normal(size=(60, 6)))
    t = split_halves(x, np.arange(6.0), score=lambda resp: resp.mean(0), seed=0, n_init=2)
    assert set(t.half) == {"most interpretable half", "least interpretable half"}
    assert (t.groupby(["half", "basis"]).size() == 3).all()
    most = t[(t.half == "most interpretable half") & (t.basis == "neurons")].ii
    np.testing.assert_allclose(sorted(most), sorted(x[:, [5, 4, 3]].mean(0)))


def test_purity_and_its_chance_level():
    labels = np.array(list("aabbc"))
    assert top_k_purity(np.array([[0, 1, 2], [2, 3, 4]]), labels).tolist() == [2 / 3, 2 / 3]
    assert chance_purity(np.zeros(50), 5) == 1.0


def test_power_law_exponent_is_recovered():
    n = 200
    eig = np.arange(1, n + 1) ** -1.5
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    x = rng.normal(size=(20000, n)) * np.sqrt(eig) @ q.T
    assert power_law_spectrum(x)["alpha"] == pytest.approx(1.5, abs=0.1)
