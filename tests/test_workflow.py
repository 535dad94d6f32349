"""The workflow as users run it, short of a full run: lint, format, dry runs, the checks
Snakemake runs before any job, a failing job's message, and partial runs (one pool,
one model's forward pass). The full runs have files of their own (docs/tests.md)."""

import re
import shutil
import subprocess
import sys

import pytest
import xarray as xr
import yaml

from runs import ROOT, TINY, snakemake, write_config

pytestmark = pytest.mark.workflow(seconds=100)


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
    methods = yaml.safe_load((ROOT / "config/dictionaries.yaml").read_text())["directions"]
    for method in methods["methods"]:
        assert f"results/scores/v4_201025/V4/{method}.csv" in out.stdout


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


