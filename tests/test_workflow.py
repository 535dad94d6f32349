"""The workflow as users run it: lint, format, dry runs, bad configs, a tiny
end-to-end run with its report, and a run killed midway that resumes."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from superposition.pipeline.io import read_table

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "config.yaml"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
       "HF_HUB_OFFLINE": "1"}
pytestmark = pytest.mark.workflow


def snakemake(*args, cwd=ROOT, timeout=600, env=None, **kw):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, env=ENV | (env or {}), capture_output=True, text=True,
                          timeout=timeout, **kw)


def write_config(tmp_path, edit):
    cfg = yaml.safe_load(TINY.read_text())
    edit(cfg)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_lint_is_clean():
    out = snakemake("--lint")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Congratulations" in out.stdout + out.stderr


def test_snakefmt_check_is_clean():
    out = subprocess.run([sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_dry_run_of_the_embedded_default_plans_every_stage(tmp_path):
    out = snakemake("-n", "-d", tmp_path, "--configfile", ROOT / "config/config.yaml")
    assert out.returncode == 0, out.stderr
    for rule in ("build_image_pool", "cache_activations", "synthetic_population",
                 "find_directions", "score_directions", "random_baseline", "psychophysics",
                 "ground_truth_recovery", "figure_summary"):
        assert rule in out.stdout


def test_a_config_file_on_the_command_line_stands_alone(tmp_path):
    """Where the embedded default sits in the working directory, a config file named on
    the command line replaces it; naming both layers them (the README's V4 recipe)."""
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config/config.yaml", tmp_path / "config/config.yaml")
    alone = snakemake("-n", "-d", tmp_path, "--configfile", ROOT / "config/paper.yaml")
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert "resnet50_cifar10" in alone.stdout and "mobilenet_v2" not in alone.stdout
    default = snakemake("-n", "-d", tmp_path)
    assert default.returncode == 0 and "mobilenet_v2" in default.stdout
    layered = snakemake("-n", "-d", tmp_path, "--configfile", ROOT / "config/config.yaml",
                        ROOT / "config/v4.yaml")
    assert layered.returncode == 0, layered.stderr[-3000:]
    assert "mobilenet_v2" in layered.stdout and "v4_201025" in layered.stdout


def test_the_dictionaries_config_layers_every_method_on_the_v4_sessions(tmp_path):
    out = snakemake("-n", "-d", tmp_path, "--configfile", ROOT / "config/config.yaml",
                    ROOT / "config/v4.yaml", ROOT / "config/dictionaries.yaml")
    assert out.returncode == 0, out.stderr[-3000:]
    for method in DICTIONARIES:
        assert f"results/scores/v4_201025/V4/{method}.csv" in out.stdout


# The config's own checks are function calls (tests/test_settings.py); these are the
# ones Snakemake runs: the schema's wiring, the real architectures and the preflight.
@pytest.mark.parametrize("edit, expected", [
    (lambda c: c["psychophysics"].update(n_trial=5),
     "psychophysics: unknown key 'n_trial'; did you mean 'n_trials'?"),
    (lambda c: c["models"]["mobilenet_v2"].update(architecture="torchvison/mobilenet_v2"),
     "unknown model family 'torchvison' (did you mean 'torchvision'?)"),
    (lambda c: c["models"]["mobilenet_v2"].update(layers=["features.99"]),
     "no layer 'features.99'"),
    (lambda c: c["models"]["mobilenet_v2"].update(weights="IMAGENET9"),
     "no weights 'IMAGENET9'"),
    (lambda c: c["directions"].update(k_ratio=0.01), "k_ratio 0.01 x 24 units gives K = 1"),
    (lambda c: c["directions"].update(k_sweep={"methods": ["kmeans"], "ratios": [6]}),
     "kmeans@6 on tiny 2 with K=192 directions needs at least 192 images, the pool has 160"),
    (lambda c: c["image_pools"]["photos"].update(n_images=30),
     "image pool photos has 30 images; scoring.mis (n_references 9 in quantile 0.25) "
     "needs at least 37"),
])
def test_bad_config_is_rejected_before_any_work_naming_the_problem(tmp_path, edit, expected):
    out = snakemake("-n", "-d", tmp_path / "run", "--configfile", write_config(tmp_path, edit))
    assert out.returncode != 0
    assert expected in out.stdout + out.stderr
    assert len((out.stdout + out.stderr).splitlines()) < 40  # a message, not the schema
    assert not (tmp_path / "run" / "results").exists()


def _good_then_broken(tmp_path, kind):
    """A pool input that builds, and a broken version of it: a folder gains a truncated
    JPEG; a zip archive is cut short (the config points the same pool at the copy)."""
    import zipfile

    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(12):
        Image.new("RGB", (10, 10), (i * 20, 0, 0)).save(folder / f"ok{i}.png")
    if kind == "folder":
        good = broken = folder
        breaking = lambda: (folder / "corrupt.jpg").write_bytes(b"\xff\xd8 truncated")
    else:
        good, broken = tmp_path / "good.zip", tmp_path / "cut.zip"
        with zipfile.ZipFile(good, "w") as zf:
            for p in sorted(folder.iterdir()):
                zf.write(p, p.name)
        breaking = lambda: broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return good, broken, breaking


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_a_broken_input_is_refused_before_any_job_and_the_built_pool_is_kept(tmp_path, kind):
    good, broken, breaking = _good_then_broken(tmp_path, kind)
    pool = lambda path: write_config(tmp_path, lambda c: c["image_pools"].update(
        mine={"kind": kind, "path": str(path), "size": 16}))
    run = tmp_path / "run"
    built = snakemake("results/pools/mine.zarr", "--cores", 1, "-d", run, "--configfile",
                      pool(good))
    assert built.returncode == 0, built.stderr[-2000:]
    store = run / "results/pools/mine.zarr"
    before = sorted((p.relative_to(store), p.read_bytes()) for p in store.rglob("*")
                    if p.is_file())
    breaking()
    out = snakemake("results/pools/mine.zarr", "--cores", 1, "-d", run, "--configfile",
                    pool(broken))
    console = out.stdout + out.stderr
    assert out.returncode != 0
    assert "preflight: image_pools.mine:" in console and "every output is kept" in console
    assert ("corrupt.jpg" if kind == "folder" else "cut.zip is not a readable zip") in console
    assert len(console.splitlines()) < 15
    assert sorted((p.relative_to(store), p.read_bytes()) for p in store.rglob("*")
                  if p.is_file()) == before


def test_a_failing_job_prints_one_sentence_and_logs_the_traceback(tmp_path):
    """What only a job can find (here a user's network that fails on real images) gives
    one sentence on the console naming the log; the traceback is in the log."""
    (tmp_path / "blind.py").write_text(
        "import torch\n"
        "class Blind(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = torch.nn.Conv2d(3, 4, 3)\n"
        "    def forward(self, x):\n"
        "        raise ValueError('this network cannot see')\n"
        "def make():\n"
        "    return Blind()\n")
    cfg = write_config(tmp_path, lambda c: c["models"].update(blind={
        "architecture": "python/blind:make", "weights": "random", "pool": "shapes",
        "layers": ["conv"]}))
    out = snakemake("results/responses/blind/conv.zarr", "--cores", 1, "-d", tmp_path / "run",
                    "--configfile", cfg, env={"PYTHONPATH": str(tmp_path)})
    console = out.stdout + out.stderr
    assert out.returncode != 0
    assert "cache_activations failed: this network cannot see" in console
    assert "traceback in logs/cache_activations/blind.log" in console
    assert "Traceback" not in console
    assert "Traceback" in (tmp_path / "run/logs/cache_activations/blind.log").read_text()


def test_one_forward_pass_caches_every_layer_of_a_model(tmp_path):
    """One cache job for the model's layers; each layer's store is a target of its own,
    hard-linked from the cache; a lost layer store comes back without a forward pass."""
    cfg = write_config(tmp_path, lambda c: c["models"]["tiny"].update(layers=["4", "2"]))
    targets = ["results/responses/tiny/2.zarr", "results/responses/tiny/4.zarr"]
    out = snakemake(*targets, "--cores", 2, "-d", tmp_path / "run", "--configfile", cfg)
    assert out.returncode == 0, out.stderr[-3000:]
    assert re.search(r"cache_activations\s+1\n", out.stdout + out.stderr)
    assert re.search(r"layer_responses\s+2\n", out.stdout + out.stderr)
    run = tmp_path / "run"
    for layer, units in (("2", 32), ("4", 32)):
        ds = xr.open_zarr(run / f"results/responses/tiny/{layer}.zarr")
        assert ds["responses"].shape[1] == units and ds.attrs["layer"] == layer
        assert ds.attrs["provenance"]["settings"]["layers_in_pass"] == ["4", "2"]
        chunk = next(p for p in (run / f"results/responses/tiny/{layer}.zarr/responses")
                     .rglob("*") if p.is_file())
        assert chunk.stat().st_nlink == 2
    shutil.rmtree(run / "results/responses/tiny/4.zarr")
    again = snakemake(*targets, "--cores", 2, "-d", run, "--configfile", cfg)
    assert again.returncode == 0, again.stderr[-3000:]
    assert re.search(r"layer_responses\s+1\n", again.stdout + again.stderr)
    assert "cache_activations" not in again.stdout + again.stderr


PLANTED_NET = """
import torch


class Planted(torch.nn.Module):
    \"\"\"24 feature detectors written into 8 units by a fixed mixing: superposition.\"\"\"

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Conv2d(3, 24, 5, padding=2)
        self.mix = torch.nn.Conv2d(24, 8, 1, bias=False)
        self.planted_directions = self.mix.weight[:, :, 0, 0].T.detach()  # features x units

    def forward(self, x):
        return self.mix(torch.relu(self.features(x)))


def make():
    return Planted()
"""
DICTIONARIES = ["topk_sae", "batchtopk_sae", "jumprelu_sae", "archetypal_sae", "semi_nmf",
                "convex_nmf"]


def test_every_dictionary_method_runs_and_a_user_network_reports_its_recovery(tmp_path):
    """Every overcomplete method from a config row through scoring; a python/ network that
    exposes planted_directions gets the recovery table and figure, with no config for it."""
    (tmp_path / "planted_net.py").write_text(PLANTED_NET)

    def edit(c):
        c["models"] = {"user": {"architecture": "python/planted_net:make", "weights": "random",
                                "pool": "shapes", "layers": ["mix"], "untrained_null": False}}
        c["brain"] = {}
        c["directions"].update(methods=["neurons", "kmeans"] + DICTIONARIES, k_sweep=[
            {"methods": ["topk_sae"], "ratios": [3]}])
        c["directions"].update({m: {"max_epochs": 3} for m in DICTIONARIES if m.endswith("_sae")})
        c["scoring"]["controls"] = []

    targets = ["results/recovery/user.csv", "results/figures/user/recovery.png"] + [
        f"results/scores/user/mix/{m}.csv" for m in DICTIONARIES]
    out = snakemake(*targets, "--cores", 2, "-d", tmp_path / "run", "--configfile",
                    write_config(tmp_path, edit), env={"PYTHONPATH": str(tmp_path)})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    rec = read_table(tmp_path / "run/results/recovery/user.csv").set_index("method")
    assert set(rec.index) == {"neurons", "kmeans", "topk_sae@3", *DICTIONARIES}
    assert (rec.n_true == 24).all() and rec.loc["topk_sae@3", "n_found"] == 24
    assert rec.matched_cosine.between(0, 1).all()
    for m in DICTIONARIES:
        scores = read_table(tmp_path / f"run/results/scores/user/mix/{m}.csv")
        assert len(scores) == 8 and np.isfinite(scores.ii_pairs).all()


def test_a_zoo_of_a_cnn_a_vit_and_a_channels_last_model_runs_from_one_row(tmp_path):
    """timm's tiny random test models, layers picked by relative depth: each read by its
    own layout, scored, and drawn side by side in the zoo figure."""
    def edit(c):
        c["models"], c["brain"] = {}, {}
        c.pop("metrics")
        c["zoo"] = {"tiny3": {"architectures": ["timm/test_resnet", "timm/test_vit",
                                                "timm/test_mamba*"],
                              "weights": "random", "pool": "shapes", "layers": [0.5, 1.0],
                              "input_size": 96}}
        c["image_pools"] = {"shapes": c["image_pools"]["shapes"]}
        c["directions"].update(methods=["neurons", "kmeans", "topk_sae"], k_sweep=[])
        c["scoring"]["controls"] = []
        c["psychophysics"]["methods"], c["figures"]["mei_methods"], c["analyses"] = [], [], {}

    out = snakemake("results/figures/zoo.png", "--cores", 2, "-d", tmp_path / "run",
                    "--configfile", write_config(tmp_path, edit))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    table = pd.read_csv(tmp_path / "run/results/tables/zoo.csv")
    assert set(table.architecture) == {"timm/test_resnet", "timm/test_vit",
                                       "timm/test_mambaout"}
    assert set(table.score) == {"ii", "mis", "ii_excess"}
    assert set(table.method) == {"kmeans", "topk_sae"}
    layers = table.groupby("architecture").layer.unique().map(sorted).to_dict()
    assert layers == {"timm/test_resnet": ["layer2", "layer4"],
                      "timm/test_vit": ["blocks.2", "blocks.5"],
                      "timm/test_mambaout": ["stages.1", "stages.3"]}
    assert table.groupby("architecture").depth.max().eq(1.0).all()
    vit = xr.open_zarr(tmp_path / "run/results/responses/tiny3_test_vit/blocks.5.zarr")
    assert vit.sizes["unit"] == 64  # the channels, not the 37 tokens
    read = vit.attrs["provenance"]["settings"]["read"]
    assert (read["layout"], read["prefix_tokens"], read["grid"]) == ("ntc", 1, [6, 6])
    mamba = xr.open_zarr(tmp_path / "run/results/responses/tiny3_test_mambaout/stages.1.zarr")
    assert mamba.sizes["unit"] == 32  # channels last: 12 x 12 x 32
    assert (tmp_path / "run/results/figures/zoo.png").stat().st_size > 10_000


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has CUDA")
def test_a_cuda_device_without_cuda_is_refused_before_any_job(tmp_path):
    out = snakemake("results/pools/shapes.zarr", "--cores", 1, "-d", tmp_path / "run",
                    "--configfile", TINY, "--config", "device=cuda")
    assert out.returncode != 0
    assert "device 'cuda' is set but this machine has no CUDA" in out.stdout + out.stderr
    assert not (tmp_path / "run/results").exists()


def test_skipped_files_and_converted_images_are_reported(tmp_path):
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(10):
        Image.new("RGB", (10, 10), (i * 20, 0, 0)).save(folder / f"ok{i}.png")
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(folder / "alpha.png")
    (folder / "notes.txt").write_text("not an image")
    cfg = write_config(tmp_path, lambda c: c["image_pools"].update(
        mine={"kind": "folder", "path": str(folder), "size": 16}))
    out = snakemake("results/pools/mine.zarr", "--cores", 1, "-d", tmp_path / "run",
                    "--configfile", cfg)
    assert out.returncode == 0, out.stderr[-2000:]
    console = out.stdout + out.stderr
    assert "skipped 1 files that are not images" in console and "notes.txt" in console
    assert "converted to RGB: 1 RGBA images" in console
    provenance = xr.open_zarr(tmp_path / "run/results/pools/mine.zarr").attrs["provenance"]
    assert provenance["settings"]["info"] == {"skipped_files": 1,
                                              "converted_to_rgb": {"RGBA": 1}}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny config run end to end once, then its report built."""
    workdir = tmp_path_factory.mktemp("tiny")
    out = snakemake("--cores", 2, "-d", workdir, "--configfile", TINY, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    report = snakemake("-d", workdir, "--configfile", TINY, "--report", workdir / "report.html")
    assert report.returncode == 0, report.stderr[-3000:]
    return workdir


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
    """Every scored pool's known-answer units, under every metric; the main metric
    passes them all, and the net effects say which scores are calibrated."""
    table = read_table(tiny_run / "results/tables/calibration.csv")
    assert {"pool", "unit_type", "score", "mean", "ci_low", "ci_high", "expected",
            "passes"} <= set(table.columns)
    assert {"lowlevel", "noise"} <= set(table.unit_type)
    main = table[table.metric == "deepfeat_efficientnet_lite0"]
    assert main.passes.all(), main[~main.passes]
    assert (tiny_run / "results/figures/calibration.png").exists()
    net = read_table(tiny_run / "results/tables/net_effects.csv")
    assert net.calibrated.all()
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
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), target,
           "--cores", "1", "-d", str(tmp_path), "--configfile", str(TINY)]
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    pool = tmp_path / "results/pools/shapes.zarr"
    # kill once the job after the pool has produced output: the pool job is then surely done
    later = tmp_path / "results/responses/planted/sim.zarr"
    deadline = time.time() + 120
    while not later.exists() and time.time() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert later.exists(), "the first jobs never finished"
    assert not (tmp_path / target).exists()
    stamp = pool.stat().st_mtime_ns
    # a SIGKILL leaves Snakemake's lock behind: docs/pipeline.md's recovery is --unlock, then rerun
    assert snakemake("--unlock", "-d", tmp_path, "--configfile", TINY).returncode == 0
    out = snakemake(target, "--cores", 2, "-d", tmp_path, "--rerun-incomplete",
                    "--configfile", TINY)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / target).exists()
    assert pool.stat().st_mtime_ns == stamp
    assert "build_image_pool" not in out.stdout + out.stderr
