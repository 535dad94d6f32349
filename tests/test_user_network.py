"""A user's own network (a python/ architecture) that plants known features in
superposition, through every overcomplete dictionary method to its recovery table."""

import numpy as np
import pytest

from runs import ROOT, snakemake
from superposition.pipeline.io import read_table

pytestmark = pytest.mark.workflow(seconds=40)

SCENARIO = ROOT / "tests/scenarios/user_network.yaml"  # its network: planted_net.py beside it
DICTIONARIES = ["topk_sae", "batchtopk_sae", "jumprelu_sae", "archetypal_sae", "semi_nmf",
                "convex_nmf"]


def test_every_dictionary_method_runs_and_a_user_network_reports_its_recovery(tmp_path):
    """Every overcomplete method from a config row through scoring; a python/ network that
    exposes planted_directions gets the recovery table and figure, with no config for it."""
    targets = ["results/recovery/user.csv", "results/figures/user/recovery.png"] + [
        f"results/scores/user/mix/{m}.csv" for m in DICTIONARIES]
    out = snakemake(*targets, "--cores", 2, "-d", tmp_path / "run", "--configfile", SCENARIO,
                    env={"PYTHONPATH": str(SCENARIO.parent)})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    rec = read_table(tmp_path / "run/results/recovery/user.csv").set_index("method")
    assert set(rec.index) == {"neurons", "kmeans", "topk_sae@3", *DICTIONARIES}
    assert (rec.n_true == 24).all() and rec.loc["topk_sae@3", "n_found"] == 24
    assert rec.matched_cosine.between(0, 1).all()
    for m in DICTIONARIES:
        scores = read_table(tmp_path / f"run/results/scores/user/mix/{m}.csv")
        # every atom is scored or, never varying over the pool, counted dead
        assert len(scores) + scores.dead.iloc[0] == 8 and np.isfinite(scores.ii_pairs).all()
