"""The claims document: each verdict follows its cases by the rule stated in
superposition.claims, and each measure points the claim's way."""

import numpy as np
import pandas as pd
import pytest

from superposition import claims as c


def _case(low, high, layer="layer1", source="net"):
    return c.Case(source, layer, (low + high) / 2, low, high)


@pytest.mark.parametrize("cases, verdict", [
    ([], "not testable here"),
    ([_case(0.1, 0.3), _case(0.05, 0.2, "layer2")], "holds"),
    ([_case(0.1, 0.3), _case(-0.1, 0.2, "layer2")], "partly"),
    ([_case(-0.1, 0.3), _case(-0.3, -0.1, "layer2")], "does not hold"),
])
def test_the_verdict_follows_the_cases(cases, verdict):
    claim = c.Claim("directions", "m", cases)
    assert claim.verdict == verdict
    assert bool(claim.where()) == (verdict == "partly")


def test_a_partly_held_claim_says_which_layers_and_networks():
    claim = c.Claim("k", "m", [_case(0.1, 0.3, "layer1", "a"), _case(-0.1, 0.3, "layer2", "a"),
                               _case(0.1, 0.2, "layer1", "b"), _case(-0.2, 0.1, "layer2", "b")])
    assert claim.where() == ("depends on the layer: cases for it at layer1, none at layer2")


def _scores(rng, means):
    rows = []
    for method, mean in means.items():
        for i in range(40):
            rows.append({"source": "net", "layer": "layer1", "method": method,
                         "direction": f"{method}:{i}", "ii_pairs": mean + rng.normal(0, 0.1),
                         "sparsity": rng.uniform()})
    return pd.DataFrame(rows)


def test_kmeans_against_the_other_methods_and_k(rng):
    better = _scores(rng, {"kmeans": 0.5, "pca": 0.0, "ica": 0.0, "nmf": 0.0, "topk_sae": 0.0,
                           "kmeans@0.5": 0.0, "kmeans@2": 0.5})
    assert c.kmeans_beats_others(better, ["net"]).verdict == "holds"
    assert c.ii_rises_with_k(better, ["net"]).verdict == "holds"
    worse = _scores(rng, {"kmeans": 0.0, "pca": 0.5, "ica": 0.5, "nmf": 0.5, "topk_sae": 0.5,
                          "kmeans@0.5": 0.5, "kmeans@2": 0.0})
    assert c.kmeans_beats_others(worse, ["net"]).verdict == "does not hold"
    assert c.ii_rises_with_k(worse, ["net"]).verdict == "does not hold"
    assert c.ii_rises_with_k(better, ["other"]).verdict == "not testable here"


def test_sparsity_mixtures_difficulty_and_synergy_point_the_claim_s_way(rng):
    neurons = _scores(rng, {"neurons": 0.0})
    neurons["ii_pairs"] = neurons.sparsity + rng.normal(0, 0.05, len(neurons))
    assert c.sparsity_tracks_ii(neurons, ["net"]).verdict == "holds"
    neurons["ii_pairs"] = -neurons.ii_pairs
    assert c.sparsity_tracks_ii(neurons, ["net"]).verdict == "does not hold"

    pairs = pd.DataFrame([{"source": "net", "layer": "layer1", "pair": p, "alpha": a,
                           "ii": (-0.3 if a == 0.5 else 0.0) + rng.normal(0, 0.05)}
                          for p in range(30) for a in (0.0, 0.5, 1.0)])
    assert c.mixtures_lose_ii(pairs, ["net"]).verdict == "holds"

    psycho = pd.DataFrame([{"source": "net", "layer": "layer1", "method": "neurons",
                            "direction": d, "quantile": q, "accuracy": acc}
                           for d in range(30) for q, acc in ((0.0, 0.9), (0.4, 0.6))])
    assert c.accuracy_falls_with_difficulty(psycho, ["net"]).verdict == "holds"
    psycho["accuracy"] = 0.7
    assert c.accuracy_falls_with_difficulty(psycho, ["net"]).verdict == "does not hold"

    synergy = pd.DataFrame({"source": "net", "layer": "layer1",
                            "synergy": np.r_[np.full(20, 0.1), np.full(180, -0.1)]})
    assert c.synergy_in_a_minority(synergy, ["net"]).verdict == "holds"
    synergy["synergy"] = -0.1  # no pair shows synergy: not "a minority that does"
    assert c.synergy_in_a_minority(synergy, ["net"]).verdict == "does not hold"
    synergy["synergy"] = 0.1  # every pair: no minority
    assert c.synergy_in_a_minority(synergy, ["net"]).verdict == "does not hold"


def test_the_document_gives_each_claim_its_statement_verdict_and_cases():
    claims = [c.Claim("directions", "gain", [_case(0.1, 0.3)]), c.Claim("synergy", "share")]
    nulls = pd.DataFrame([{"source": "net", "layer": "layer1", "method": "kmeans", "score": "ii",
                           "null": "untrained", "net": 0.2, "net_ci_low": 0.1,
                           "net_ci_high": 0.3, "p_adjusted": 0.01}])
    text = c.claims_markdown(claims, context={"title": "T", "commit": "abc", "config": "x.yaml",
                                              "pool": "p", "metric": "m"},
                             nulls=nulls, accuracy=pd.DataFrame())
    assert c.STATEMENTS["directions"] in text and "## directions: holds" in text
    assert "## synergy: not testable here" in text
    assert "| net | layer1 | +0.200 [+0.100, +0.300] | for |" in text
    assert "| net | layer1 | untrained | +0.200 [+0.100, +0.300] | 0.010 |" in text


def test_the_brain_claim_reads_the_pooled_verdicts_per_score():
    rows = [{"area": "V4", "level": "pooled", "source": "pooled", "method": "kmeans",
             "score": score, "n_sessions": 3, "n_animals": 2, "net": (lo + hi) / 2,
             "net_ci_low": lo, "net_ci_high": hi, "verdict": ""}
            for score, lo, hi in (("ii", 0.1, 0.4), ("mis", -0.04, 0.04))]
    rows += [{"area": "V4", "level": "session", "source": s, "method": "kmeans",
              "score": "ii", "verdict": "directions beat neurons"} for s in "abc"]
    claim = c.brains_follow(pd.DataFrame(rows))
    assert [x.side for x in claim.cases] == ["for", "unclear"]
    assert claim.verdict == "partly"
    assert claim.where() == "depends on the score: cases for it at ii, none at mis"
    assert "V4 ii: 3 directions beat neurons" in claim.note
    assert c.brains_follow(None).verdict == "not testable here"


def test_the_readme_verdict_table_is_the_runs_own():
    """The README's results table is generated from the real-data runs' CLAIMS.md (make
    real-doc), and each verdict in it is the one its run's page gives."""
    from pathlib import Path

    from superposition.verdicts import refreshed, verdicts

    root = Path(__file__).resolve().parents[1]
    runs = {name: (root / "docs/results" / f"{page}.md").read_text() for name, page in
            (("CIFAR-10", "cifar10_claims"), ("ImageNet", "imagenet"), ("V4", "v4"))}
    readme = (root / "README.md").read_text()
    assert refreshed(readme, runs) == readme
    assert verdicts(runs["V4"])["brains"][1] in {"holds", "partly", "does not hold"}
    row = next(line for line in readme.splitlines() if line.startswith("| **synergy**"))
    assert row.split("|")[2:5] == [f" {verdicts(runs[n])['synergy'][1]} " for n in runs]
