"""The tiny config (tests/data/config.yaml) run end to end once, with its report: every
rule of the embedded default, every figure, the score tables and their calibration; a
run of it killed midway that resumes. Where the suite can start a one-node SLURM (root,
Debian's packages: tests/slurm/local_slurm.sh), the tiny run goes through the SLURM
profile, so the same run shows that every rule that is not local runs as an sbatch job
on the partition its GPU request picks; elsewhere it runs locally and those checks skip."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

from runs import (ENV, ROOT, TINY, planned_jobs, snakemake, snakemake_slurm, start_slurm,
                  stop_slurm)
from superposition.pipeline.io import read_table

pytestmark = pytest.mark.workflow(seconds=300)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """The local SLURM's state folder, or why it cannot start here (a string)."""
    state = tmp_path_factory.mktemp("slurm")
    why = start_slurm(state)
    yield why or state
    if why is None:
        stopped = stop_slurm(state)
        assert "stopped slurmctld" in stopped and "stopped slurmd" in stopped


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, slurm):
    """The tiny config run end to end once (through SLURM where there is one, with device
    auto, so the jobs that would use a GPU ask for one), then its report built; and the
    run's console output."""
    workdir = tmp_path_factory.mktemp("tiny")
    if isinstance(slurm, str):
        out = snakemake("--cores", 2, "-d", workdir, "--configfile", TINY, timeout=900)
    else:
        out = snakemake_slurm("all", workdir, TINY, extra=["--config", "device=auto"],
                              timeout=1200)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    report = snakemake("-d", workdir, "--configfile", TINY, "--report", workdir / "report.html")
    assert report.returncode == 0, report.stderr[-3000:]
    workdir.joinpath("console.txt").write_text(out.stdout + out.stderr)
    return workdir


def on_slurm(slurm):
    if isinstance(slurm, str):
        pytest.skip(slurm)
    return slurm


def test_every_figure_and_the_report_exist(tiny_run):
    figures = {p.relative_to(tiny_run / "results/figures").as_posix()
               for p in (tiny_run / "results/figures").rglob("*.png")}
    for source in ("mobilenet_v2", "tiny", "planted"):
        assert {f"{source}/ii_by_method.png", f"{source}/psychophysics.png"} <= figures
    assert {"planted/recovery.png", "summary.png", "mobilenet_v2/meis_features.2.png",
            "tiny/meis_2.png", "planted/meis_sim.png"} <= figures
    assert {f"{s}/ii_by_size.png" for s in ("mobilenet_v2", "tiny", "planted")} <= figures
    for analysis in ("synergy", "interpolation", "split", "semantics", "spectrum", "sparsity"):
        assert {f"{s}/{analysis}.png" for s in ("mobilenet_v2", "tiny", "planted")} <= figures
    assert (tiny_run / "report.html").stat().st_size > 100_000


def test_the_report_opens_with_the_net_effects_and_renders_without_warnings(tiny_run):
    html = (tiny_run / "report.html").read_text()
    assert "System Message" not in html  # docutils' warnings and errors
    assert "Duplicate explicit target name" not in html
    front = (tiny_run / "results/tables/front_page.rst").read_text()
    assert front.startswith("Are directions more interpretable than neurons")
    assert "deepfeat_efficientnet_lite0" in front and "known-answer checks pass" in front
    for source in ("mobilenet_v2", "planted"):  # a generated sentence per source and layer
        assert f"**{source} / " in front
    assert "net of shuffled fit" in html and "data:image/png;base64," in html
    assert (tiny_run / "results/figures/summary_compact.png").exists()


def test_every_score_is_calibrated_on_known_answer_units(tiny_run):
    """Every scored pool's known-answer units, under every metric and every candidate
    shadow; under the main metric II and MIS pass every chance-level check and II every
    concept's, and the net effects say which scores are calibrated (no bias shown)."""
    table = read_table(tiny_run / "results/tables/calibration.csv")
    assert {"pool", "unit_type", "score", "mean", "ci_low", "ci_high", "ci_width",
            "expected", "tolerance", "passes"} <= set(table.columns)
    assert {"lowlevel", "probe_lowlevel", "noise", "heavy_noise", "spiky_noise",
            "heavy_lowlevel", "spiky_lowlevel", "group", "one_photograph", "neighbourhood",
            "narrow_neighbourhood"} <= set(table.unit_type)
    assert "ii_excess[first_design]" in set(table.score)
    main = table[(table.metric == "deepfeat_efficientnet_lite0")
                 & table.score.isin(["ii", "mis"])]
    chance = main[main.expected.str.startswith("=")]
    assert chance.passes.all(), chance[~chance.passes]
    assert main[main.score == "ii"].passes.all()
    assert (tiny_run / "results/figures/calibration.png").exists()
    net = read_table(tiny_run / "results/tables/net_effects.csv")
    assert net[net.score.isin(["ii", "mis"])].calibrated.all()
    assert net.p.between(0, 1).all() and (net.p_adjusted >= net.p - 1e-12).all()
    results = (tiny_run / "results/RESULTS.md").read_text()
    assert "## Calibration" in results and "## Recovery of planted features" in results


def test_net_effects_over_both_nulls(tiny_run):
    """tiny's weights are random already, so its untrained null is the same network: every
    net effect over it is 0 exactly. The shuffled-fit null pairs kmeans with kmeans_shuffled."""
    net = read_table(tiny_run / "results/tables/net_effects.csv")
    assert set(net.score) == {"ii", "mis", "ii_excess"}
    untrained = net[net.null == "untrained"]
    assert set(untrained.source) == {"tiny"} and set(untrained.null_source) == {"tiny_untrained"}
    assert np.allclose(untrained.net, 0) and np.allclose(untrained.gain, untrained.null_gain)
    shuffled = net[net.null == "shuffled"]
    assert set(shuffled.method) == {"kmeans"} and set(shuffled.null_method) == {"kmeans_shuffled"}
    assert {"mobilenet_v2", "tiny", "planted"} <= set(shuffled.source)
    assert np.allclose(net.net, net.gain - net.null_gain)
    row = shuffled.iloc[0]
    scores = read_table(tiny_run / f"results/scores/{row.source}/{row.layer}/kmeans.csv")
    neurons = read_table(tiny_run / f"results/scores/{row.source}/{row.layer}/neurons.csv")
    metric = "deepfeat_efficientnet_lite0"
    gain = (scores[scores.metric == metric][{"ii": "ii_pairs", "mis": "mis",
                                             "ii_excess": "ii_excess"}[row.score]].mean()
            - neurons[neurons.metric == metric][{"ii": "ii_pairs", "mis": "mis",
                                                 "ii_excess": "ii_excess"}[row.score]].mean())
    assert row.gain == pytest.approx(gain)
    assert row.gain_ci_low <= row.gain <= row.gain_ci_high
    assert not (tiny_run / "results/scores/tiny_untrained/2/kmeans_shuffled.csv").exists()


def test_models_and_brain_share_the_response_contract(tiny_run):
    for path, n_units in (("mobilenet_v2/features.2.zarr", 24), ("tiny/2.zarr", 32),
                          ("planted/sim.zarr", 8)):
        ds = xr.open_zarr(tiny_run / "results/responses" / path)
        assert ds["responses"].dims == ("image", "unit")
        assert ds["responses"].shape[1] == n_units
        assert "settings" in ds.attrs["provenance"]
        assert ds.attrs["kind"] in ("model", "brain")


def test_scores_record_metric_and_both_conventions(tiny_run):
    scores = read_table(tiny_run / "results/scores/mobilenet_v2/features.2/kmeans.csv")
    # deepfeat_tiny is defined by a row of the config's metrics section
    assert set(scores.metric) == {"deepfeat_efficientnet_lite0", "pixel", "colour",
                                  "deepfeat_tiny"}
    assert (scores.ii_pairs <= 0).all()
    assert ((scores.ii_code - scores.ii_pairs * 4 / 5).abs() < 1e-5).all()
    assert scores.mis.between(0, 1).all()
    assert np.allclose(scores.ii_excess, scores.ii_pairs - scores.ii_lowlevel)
    assert scores.lowlevel_r2.between(0, 1).all()
    groups = xr.open_zarr(tiny_run / "results/pools/photos.zarr")["group"].values
    for top in scores.top_k:  # one image per photograph
        assert len({groups[int(i)] for i in top.split()}) == 5
    meta = (tiny_run / "results/scores/mobilenet_v2/features.2/kmeans.json").read_text()
    assert "EfficientNet-Lite0" in meta
    assert "resources/weights/metrics/deepfeat_efficientnet_lite0" in meta
    assert "tiny/cnn (random weights; layers 0, 2)" in meta
    settings = json.loads(meta)["metrics"]["deepfeat_efficientnet_lite0"]
    assert settings["mis"] == {"n_references": 9, "n_tasks": 20, "quantile": 0.25,
                               "alpha": None}  # fitted: none for this metric, hard accuracy
    assert settings["one_per_group"] and settings["lowlevel_baseline"]["n_sets"] == 10
    agreement = read_table(tiny_run / "results/tables/ii_mis_agreement.csv")
    assert agreement.spearman.dropna().between(-1, 1).all()
    assert {"all", "neurons", "kmeans"} <= set(agreement.method)


def test_recovery_and_psychophysics_tables_are_well_formed(tiny_run):
    rec = read_table(tiny_run / "results/recovery/planted.csv")
    assert set(rec.method) == {"neurons", "kmeans", "kmeans_shuffled", "pca", "ica", "nmf",
                               "topk_sae", "random", "kmeans@2", "topk_sae@2"}
    assert rec.set_index("method").loc["kmeans@2", "n_found"] == 16  # K = 2 x 8 neurons
    assert rec.set_index("method").loc["topk_sae@2", "n_found"] == 16  # overcomplete
    assert rec.matched_cosine.between(0, 1).all()
    by = rec.set_index("method")  # chance grows with K: 16 random directions beat 8
    assert by.loc["kmeans", "chance"] > by.loc["neurons", "chance"] > 0
    assert np.allclose(by.best_above_chance,
                       (by.best_cosine - by.chance) / (1 - by.chance))
    psy = read_table(tiny_run / "results/psychophysics/tiny/2/kmeans.csv")
    assert psy.accuracy.between(0, 1).all()
    assert set(psy["quantile"]) == {0.0, 0.3}


def test_a_killed_run_resumes_without_redoing_finished_jobs(tmp_path):
    target = "results/scores/planted/sim/kmeans.csv"
    config = [TINY, ROOT / "tests/scenarios/pixel_metric.yaml"]
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), target,
           "--cores", "1", "-d", str(tmp_path / "run"), "--configfile", *map(str, config)]
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    pool = tmp_path / "run/results/pools/shapes.zarr"
    # kill once the job after the pool has produced output: the pool job is then surely done
    later = tmp_path / "run/results/responses/planted/sim.zarr"
    deadline = time.time() + 120
    while not later.exists() and time.time() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert later.exists(), "the first jobs never finished"
    assert not (tmp_path / "run" / target).exists()
    stamp = pool.stat().st_mtime_ns
    # a SIGKILL leaves Snakemake's lock behind: docs/pipeline.md's recovery is --unlock, then rerun
    assert snakemake("--unlock", "-d", tmp_path / "run", "--configfile", *config).returncode == 0
    out = snakemake(target, "--cores", 2, "-d", tmp_path / "run", "--rerun-incomplete",
                    "--configfile", *config)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "run" / target).exists()
    assert pool.stat().st_mtime_ns == stamp
    assert "build_image_pool" not in out.stdout + out.stderr


def test_every_rule_runs_as_a_slurm_job_and_gpu_jobs_land_on_the_gpu_partition(
        slurm, tiny_run, tmp_path):
    """The tiny run's whole DAG went through the SLURM profile, with device auto: each job
    that asks for the cluster's one (counted) GPU went to the gpu partition, every other
    job that is not local to cpu."""
    on_slurm(slurm)
    jobs = planned_jobs(tmp_path / "plan", TINY, "auto")
    console = (tiny_run / "console.txt").read_text()
    listed = dict(line.split(maxsplit=1) for line in subprocess.run(
        ["squeue", "-t", "all", "-h", "-o", "%i %P %T"], capture_output=True, text=True,
        timeout=30).stdout.splitlines())
    local = set(re.findall(r"^localrule (\w+):", console, re.M)) - {"all"}
    assert local == {"fetch_model_weights", "fetch_metric_weights", "layer_responses",
                     "record_config", "ground_truth_recovery", "results_document",
                     "accuracy_table", "claims_document"} | {
        j.rule for j in jobs if j.rule.startswith("figure_")}
    remote = [j for j in jobs if j.rule not in local]
    assert len(remote) >= 20 and any(j.resources.get("gpu") for j in remote)
    for j in remote:
        job_id = re.search(r"running as SLURM job (\d+)", (tiny_run / j.log).read_text()).group(1)
        partition = "gpu" if j.resources.get("gpu") else "cpu"
        assert listed[job_id] == f"{partition} COMPLETED", (j.rule, j.wildcards)


def test_a_failing_slurm_job_is_reported_as_failed(slurm, tmp_path):
    import pickle

    import yaml

    on_slurm(slurm)
    # a file only the job reads (the preflight refuses broken images before any job runs)
    wrong = tmp_path / "wrong.pkl"
    wrong.write_bytes(pickle.dumps({"images": []}))
    cfg = yaml.safe_load(TINY.read_text())
    cfg["image_pools"]["mine"] = {"kind": "cadena2019", "path": str(wrong), "size": 16}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake_slurm("results/pools/mine.zarr", tmp_path / "run", tmp_path / "config.yaml",
                          extra=["--retries", "0"])
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert re.search(r"SLURM-job '\d+' failed, SLURM status is: 'FAILED'", text)
    assert "wrong.pkl lacks" in (tmp_path / "run/logs/build_image_pool/mine.log").read_text()
