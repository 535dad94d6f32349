"""Net effects: paired intervals, the bootstrap over groups, the correction."""

import numpy as np
import pandas as pd
import pytest

from superposition.effects import Resampler, benjamini_hochberg, net_effects, summary_table


def _scores(rng, neurons_sd=5.0, groups=None):
    rows = []
    for method, mean, sd, n in (("neurons", 0.0, neurons_sd, 30), ("kmeans", 1.0, 0.2, 30),
                                ("kmeans_shuffled", 0.5, 0.2, 30)):
        values = rng.normal(mean, sd, n)
        for i, v in enumerate(values):
            rows.append({"source": "m", "layer": "l", "method": method, "direction": i,
                         "metric": "x", "ii_pairs": v, "mis": 0.5, "ii_excess": v,
                         "top_groups": "|".join(groups[i]) if groups else np.nan})
    return pd.DataFrame(rows)


def test_the_net_over_the_shuffled_fit_does_not_count_the_neurons_twice(rng):
    """The neurons appear in both gains and cancel: the net's interval is as narrow as
    that of kmeans - kmeans_shuffled alone, however noisy the neurons."""
    net = net_effects(_scores(rng), "x", untrained={})
    row = net[(net.score == "ii") & (net.null == "shuffled")].iloc[0]
    assert row.net == pytest.approx(row.gain - row.null_gain)
    width = row.net_ci_high - row.net_ci_low
    assert width < 0.5  # sets of sd 0.2, 30 each: about 0.2; unpaired: about 5
    assert row.gain_ci_high - row.gain_ci_low > 2  # the gain itself carries the neurons
    assert row.p < 0.01 and row.p_adjusted >= row.p
    assert "Benjamini-Hochberg" in row.correction


def test_every_set_is_read_net_of_the_random_dictionary_at_its_k(rng):
    """random@3 is topk_sae@3's null, random kmeans'; a set with no random set at its K
    gets none, and a random set is no null of itself."""
    rows = []
    for method, mean in (("neurons", 0.0), ("kmeans", 1.0), ("random", 0.2),
                         ("topk_sae@3", 0.8), ("random@3", 0.5), ("kmeans@2", 0.9)):
        rows += [{"source": "m", "layer": "l", "method": method, "direction": i, "metric": "x",
                  "ii_pairs": v, "mis": 0.5, "ii_excess": v, "top_groups": np.nan}
                 for i, v in enumerate(rng.normal(mean, 0.1, 30))]
    net = net_effects(pd.DataFrame(rows), "x", untrained={})
    random = net[(net.null == "random") & (net.score == "ii")].set_index("method")
    assert random.null_method.to_dict() == {"kmeans": "random", "topk_sae@3": "random@3"}
    assert random.loc["topk_sae@3", "net"] == pytest.approx(0.3, abs=0.1)
    assert not (net.method.str.startswith("random") & (net.null == "random")).any()


def test_benjamini_hochberg_matches_a_hand_computation():
    p = np.array([0.01, 0.04, 0.03, 0.2])
    # sorted 0.01, 0.03, 0.04, 0.2 times 4 / rank: 0.04, 0.06, 0.053, 0.2; then the
    # running minimum from the largest
    np.testing.assert_allclose(benjamini_hochberg(p), [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert benjamini_hochberg(np.array([])).size == 0


def test_units_that_share_groups_get_wider_intervals(rng):
    """Where every unit's top images come from a few shared photographs, resampling
    the photographs too widens the interval; replicates are the same for one key."""
    values = np.repeat(rng.normal(0, 1, 3), 20) + rng.normal(0, 0.1, 60)
    groups = [[f"g{i // 20}"] * 5 for i in range(60)]  # each unit: its photograph
    boot = Resampler(2000, 0)
    plain = np.percentile(boot.means(values, "a"), [2.5, 97.5])
    grouped = np.percentile(boot.means(values, "a", groups), [2.5, 97.5])
    assert np.ptp(grouped) > 3 * np.ptp(plain)
    np.testing.assert_array_equal(boot.means(values, "a"), Resampler(2000, 0).means(values, "a"))


def test_summary_table_reads_the_groups(rng):
    groups = [[f"g{i % 3}", f"g{(i + 1) % 3}"] for i in range(30)]
    table = summary_table(_scores(rng, 1.0, groups), "x")
    assert set(table.method) == {"neurons", "kmeans", "kmeans_shuffled"}
    k = table[table.method == "kmeans"].iloc[0]
    assert k.ii_ci_low < k.mean_ii < k.ii_ci_high


def test_the_front_page_gives_a_verdict_only_for_calibrated_clear_effects():
    from superposition.frontpage import compact_sets, sentences, shown_dictionary

    def row(method, score, net, low, high, p, calibrated=True, null="shuffled"):
        return {"source": "m", "layer": "l", "method": method, "score": score, "net": net,
                "net_ci_low": low, "net_ci_high": high, "p_adjusted": p, "null": null,
                "calibrated": calibrated}

    net = pd.DataFrame([row("kmeans", "ii", 0.5, 0.2, 0.8, 0.001),
                        row("kmeans", "mis", 0.01, -0.02, 0.04, 0.4),
                        row("kmeans", "ii_excess", -0.3, -0.5, -0.1, 0.01, calibrated=False),
                        row("topk_sae", "ii", 0.9, 0.5, 1.2, 0.001),
                        row("nmf_x", "ii", 2.0, 1.0, 3.0, 0.001)])
    assert compact_sets(net, "topk_sae") == ["kmeans", "topk_sae"]
    assert compact_sets(net, "relu_sae") == ["kmeans"]  # declared, but not in the run
    assert shown_dictionary(["topk_sae", "topk_sae@3", "nmf@3"]) == "topk_sae@3"
    assert shown_dictionary(["topk_sae", "topk_sae@3"], "topk_sae") == "topk_sae"
    assert shown_dictionary([]) is None
    with pytest.raises(ValueError, match="figures.dictionary is 'topk_sae@2'"):
        shown_dictionary(["topk_sae"], "topk_sae@2")
    (line,) = sentences(net, ["kmeans", "topk_sae"])
    assert "*kmeans*: II more interpretable (+0.50 [+0.20, +0.80]" in line
    assert "MIS no clear difference" in line and "ii_excess: not calibrated on this pool" in line
    assert "*topk_sae*: II more interpretable" in line and "nmf_x" not in line


def test_nulls_that_disagree_are_said_apart():
    from superposition.frontpage import _verdict

    rows = pd.DataFrame({"null": ["untrained", "shuffled"], "net": [0.6, -0.7],
                         "net_ci_low": [0.3, -1.0], "net_ci_high": [1.0, -0.4],
                         "p_adjusted": [0.01, 0.01]})
    assert _verdict(rows) == ("more net of the untrained network, less net of the "
                              "shuffled fit")


def _grouped(rng, neurons_sd):
    """Sets whose top images come from different photographs: the neurons from all
    seven, K-means from three of them, its shuffled fit from the other four."""
    rows = []
    values = {m: rng.normal(mu, sd, 30) for m, mu, sd in (
        ("neurons", 0.0, 1.0), ("kmeans", 1.0, 0.2), ("kmeans_shuffled", 0.5, 0.2))}
    values["neurons"] = values["neurons"] * neurons_sd
    spans = {"neurons": range(7), "kmeans": range(3), "kmeans_shuffled": range(3, 7)}
    for method, span in spans.items():
        for i, v in enumerate(values[method]):
            top = [f"g{span[(i + j) % len(span)]}" for j in range(5)]
            rows.append({"source": "m", "layer": "l", "method": method, "direction": i,
                         "metric": "x", "ii_pairs": v, "top_groups": "|".join(top)})
    return pd.DataFrame(rows)


def test_the_neurons_cancel_exactly_whatever_photographs_each_set_covers():
    """The net over the shuffled fit does not depend on the neurons at all, however
    noisy they are and whichever photographs their top images share with each set; and
    reading the sets in another order gives every interval to the last digit."""
    quiet = net_effects(_grouped(np.random.default_rng(1), 0.1), "x", untrained={})
    noisy = net_effects(_grouped(np.random.default_rng(1), 50.0), "x", untrained={})
    columns = ["net", "net_ci_low", "net_ci_high", "p"]
    np.testing.assert_allclose(quiet[columns].to_numpy(float), noisy[columns].to_numpy(float),
                               rtol=0, atol=1e-9)
    table = _grouped(np.random.default_rng(2), 1.0)
    sets = [table[table.method == m] for m in ("kmeans", "kmeans_shuffled", "neurons")]
    ahead = net_effects(table, "x", untrained={}).set_index("method")
    behind = net_effects(pd.concat(sets), "x", untrained={}).set_index("method")
    pd.testing.assert_frame_equal(ahead.drop(columns="p_adjusted"),
                                  behind.loc[ahead.index].drop(columns="p_adjusted"))
