"""The brain branch on real recordings: macaque V4 (Cowley et al. 2023), the three shared
sessions of two monkeys, each on its own and pooled.

The data is read from the shared research-data folder beside the checkout (set
SUPERPOSITION_V4_DATA to another copy); the workflow's own download rule fetches
it from there through a file:// URL and checks the published sha256 sums.
"""

import os
from pathlib import Path

import pytest
import xarray as xr
import yaml

from superposition.pipeline.io import read_table
from runs import ROOT, snakemake

DATA = Path(os.environ.get("SUPERPOSITION_V4_DATA",
                           ROOT.parent / "shared/research-data/cowley2023_v4"))
SESSIONS = {"190923": 33, "201025": 89, "210224": 67}
N_IMAGES = {"190923": 1200, "201025": 1200, "210224": 800}
SCENARIO = ROOT / "tests/scenarios/v4_sessions.yaml"
METHODS = yaml.safe_load(SCENARIO.read_text())["directions"]["methods"]
pytestmark = [pytest.mark.workflow(seconds=180),
              pytest.mark.skipif(not DATA.is_dir(), reason=f"V4 data not found at {DATA}")]


@pytest.fixture(scope="module")
def v4_run(tmp_path_factory):
    """The scenario file tests/scenarios/v4_sessions.yaml, with the mirror folder at DATA."""
    workdir = tmp_path_factory.mktemp("v4")
    cfg = yaml.safe_load(SCENARIO.read_text())
    cfg["downloads"] = {"cowley2023_v4": str(DATA.resolve())}
    (workdir / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake("--cores", 2, "-d", workdir, "--configfile", workdir / "config.yaml",
                    timeout=1200)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    report = snakemake("-d", workdir, "--configfile", workdir / "config.yaml",
                       "--report", workdir / "report.html")
    assert report.returncode == 0, report.stderr[-2000:]
    return workdir


def test_sessions_are_downloaded_checked_and_ingested(v4_run):
    for session, n_neurons in SESSIONS.items():
        assert (v4_run / f"resources/datasets/cowley2023_v4/images/images_{session}.zip").exists()
        ds = xr.open_zarr(v4_run / f"results/responses/v4_{session}/V4.zarr")
        assert ds["responses"].shape == (N_IMAGES[session], n_neurons)
        assert ds.attrs["kind"] == "brain" and ds.attrs["pool"] == f"v4_{session}"
        pool = xr.open_zarr(v4_run / f"results/pools/v4_{session}.zarr")
        assert pool["images"].shape == (N_IMAGES[session], 64, 64, 3)
        assert str(pool["label"].values[0]) == "image0001"


def test_neurons_vs_directions_with_confidence_intervals(v4_run):
    summary = read_table(v4_run / "results/tables/ii_summary.csv")
    for session in SESSIONS:
        rows = summary[summary.source == f"v4_{session}"].set_index("method")
        assert set(METHODS) | {"kmeans@2"} == set(rows.index)  # and K-means at K = 2n
        for score in ("ii", "mis", "ii_excess"):
            assert (rows[f"{score}_ci_low"] <= rows[f"mean_{score}"]).all()
            assert (rows[f"mean_{score}"] <= rows[f"{score}_ci_high"]).all()
    net = read_table(v4_run / "results/tables/net_effects.csv")
    kmeans = net[(net.method == "kmeans") & (net.null == "shuffled")]
    assert set(kmeans.source) == set(f"v4_{s}" for s in SESSIONS)
    assert set(kmeans.score) == {"ii", "mis", "ii_excess"}
    for name in ("ii_by_method.png", "meis_V4.png", "psychophysics.png"):
        for session in SESSIONS:
            assert (v4_run / f"results/figures/v4_{session}" / name).stat().st_size > 10_000
    assert "v4_201025" in (v4_run / "report.html").read_text(errors="ignore")


def test_the_sessions_are_pooled_across_animals_into_one_verdict(v4_run):
    pooled = read_table(v4_run / "results/tables/pooled_effects.csv")
    net = read_table(v4_run / "results/tables/net_effects.csv")
    top = pooled[(pooled.level == "pooled") & (pooled.method == "kmeans")].set_index("score")
    assert set(top.index) == {"ii", "mis", "ii_excess"}
    assert (top.n_sessions == 3).all() and (top.n_animals == 2).all()
    assert (top.n_units == sum(SESSIONS.values())).all()
    # animals weigh alike: WE's one session counts as much as PE's two together
    sessions = pooled[(pooled.level == "session") & (pooled.method == "kmeans")]
    for score, row in top.iterrows():
        per = sessions[sessions.score == score].set_index("source").net
        expected = per["v4_190923"] / 2 + (per["v4_201025"] + per["v4_210224"]) / 4
        assert row.net == pytest.approx(expected)
        assert row.net_ci_low <= row.net <= row.net_ci_high
        assert row.verdict in {"directions beat neurons", "neurons beat directions",
                               "not resolved"}
    # each session's row is its row of the net effects, interval and all
    mine = sessions.set_index(["source", "score"])
    theirs = net[(net.method == "kmeans") & (net.null == "shuffled")].set_index(
        ["source", "score"])
    for key in mine.index:
        for col in ("net", "net_ci_low", "net_ci_high"):
            assert mine.loc[key, col] == pytest.approx(theirs.loc[key, col])
    assert (v4_run / "results/figures/pooled_V4.png").stat().st_size > 10_000
    claims = (v4_run / "results/CLAIMS.md").read_text()
    assert "| brains |" in claims and "3 sessions, 2 animals" in claims


def test_a_response_matrix_that_does_not_match_its_images_is_refused(tmp_path):
    import numpy as np

    bad = tmp_path / "responses.npy"
    np.save(bad, np.zeros((5, 1199)))
    cfg = yaml.safe_load((ROOT / "tests/data/config.yaml").read_text())
    cfg["models"] = {}
    cfg["image_pools"] = {"v4": {"kind": "zip", "path": str(DATA / "images/images_190923.zip"),
                                 "size": 16}}
    cfg["brain"] = {"v4": {"adapter": "npy", "path": str(bad), "pool": "v4", "area": "V4"}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake("results/responses/v4/V4.zarr", "--cores", 2, "-d", tmp_path / "run",
                    "--show-failed-logs", "--configfile", tmp_path / "config.yaml")
    assert out.returncode != 0
    assert "has 1199 images but the image pool v4 has 1200" in out.stdout + out.stderr


def test_ii_and_mis_pass_their_chance_checks_on_the_v4_images(v4_run):
    """On every session's stimuli, under the main metric: II and MIS give every
    no-concept type its chance level (the whole CI in the band), and II finds every
    neighbourhood in the metric's own space."""
    table = read_table(v4_run / "results/tables/calibration.csv")
    assert set(table.pool) == {f"v4_{s}" for s in SESSIONS}
    assert {"lowlevel", "probe_lowlevel", "noise", "neighbourhood"} <= set(table.unit_type)
    main = table[(table.metric == "deepfeat_efficientnet_lite0")
                 & table.score.isin(["ii", "mis"])]
    chance = main[main.expected.str.startswith("=")]
    assert chance.passes.all(), chance[~chance.passes]
    assert main[main.unit_type == "neighbourhood"].passes.all()
