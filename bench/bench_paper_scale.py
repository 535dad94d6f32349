"""The paper's main analysis at full scale: ResNet-50 over 50,000 CIFAR-sized images.

Through the workflow's own functions, as its jobs run them: a Zarr pool of N
images of 32 px; the centre-pixel activations of layer1..layer4 cached (the
model's one job: one forward pass for all layers); the II of every unit of every layer under LPIPS-AlexNet (``neurons``
directions, k = 5), alone and with the MIS in the same embedding pass (K = 9,
N = 20, quantile 0.25), and the whole score job (II, MIS and the low-level baseline). Random weights for the network and LPIPS's backbone: weights
do not change the cost, and CIFAR-10 cannot be downloaded offline, so random
images of the same size stand in for it. Baseline in the same run: one bare
forward of the whole network over the same images, already in memory as float
tensors (on the CPU in the workflow's passes of 64 images), measured last. Wall
time and peak memory (this process's resident memory; allocated device memory on
a GPU) per stage.

Usage: python bench/bench_paper_scale.py [--images 50000] [--device cuda]
       [--workdir DIR [--scores-only]] [--caching-only]
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from superposition import store
from superposition.interpretability import interpretability_index
from superposition.lowlevel import BASELINE_DEFAULTS as BASELINE
from superposition.metrics import build_metric
from superposition.mis import DEFAULTS as MIS
from superposition.models import build_model, split_architecture
from superposition.pipeline.directions import find_direction_sets
from superposition.pipeline.images import image_statistics
from superposition.pipeline.responses import cache_activations
from superposition.pipeline.scoring import score_direction_sets
from superposition.scoring import design_scores, score_units
from superposition.settings import Scoring
from timing import BareForward, PeakMemory, machine, timed

ARCH = "cifar10/resnet50"


def stage(report: dict, name: str, fn, images: int | None = None):
    with PeakMemory() as mem:
        wall, _ = timed(fn)
    report[name] = {"wall_s": round(wall, 2), "peak_host_gib": round(mem.host_gib, 2)}
    if torch.cuda.is_available():
        report[name]["peak_device_gib"] = round(mem.device_gib, 2)
    if images:
        report[name]["img_per_s"] = round(images / wall, 1)
    print(name, report[name], flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--layers", nargs="+", default=["layer1", "layer2", "layer3", "layer4"])
    ap.add_argument("--metric", default="lpips_alex_random")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--workdir", default=None, help="where the Zarr stores go (a temp dir)")
    ap.add_argument("--scores-only", action="store_true",
                    help="reuse the pool and activations already in --workdir: time the scores")
    ap.add_argument("--caching-only", action="store_true",
                    help="time the caching and its baseline, not the scores")
    args = ap.parse_args()
    tmp = Path(args.workdir or tempfile.mkdtemp())
    pool = str(tmp / "pool.zarr")
    report = {"machine": machine(args.device), "images": args.images, "batch": args.batch,
              "metric": args.metric}
    total = time.perf_counter()
    if not args.scores_only:
        images = np.random.default_rng(0).integers(0, 256, (args.images, 32, 32, 3), np.uint8)
        store.write_dataset(xr.Dataset({"images": (("image", "y", "x", "channel"), images)}),
                            pool, chunk_images=256)
        del images  # each stage reads the pool, as the workflow's jobs do
        stage(report, f"cache {', '.join(args.layers)} (one pass)",
              lambda: cache_activations(
                  pool, architecture=ARCH, weights_dir=None, weights_tag="random",
                  layers=args.layers, statistic="centre", batch_size=args.batch,
                  input_size=None, device=args.device, seed=0, source="resnet50",
                  out=str(tmp)), args.images)
    if not args.caching_only:
        scores(args, tmp, pool, report)
    if args.scores_only:
        print(json.dumps(report, indent=2))
        return
    # last, so that its tensors held in memory do not count in the stages' peaks
    family, _ = split_architecture(ARCH)
    model = build_model(ARCH, "random", hub_dir=None, seed=0).to(args.device)
    bare = BareForward(model, store.open_images(pool)[:], args.batch, family.mean, family.std,
                       args.device)

    bare()  # warm-up
    stage(report, "baseline: bare forward, all layers", bare, args.images)
    cache = sum(v["wall_s"] for k, v in report.items() if k.startswith("cache "))
    report["caching all layers / bare forward"] = round(
        cache / report["baseline: bare forward, all layers"]["wall_s"], 2)
    report["total_wall_s"] = round(time.perf_counter() - total, 1)
    print(json.dumps(report, indent=2))


def scores(args, tmp: Path, pool: str, report: dict):
    """The II, the II with MIS, and the whole score job of every unit of every layer."""
    statistics = str(tmp / "pool.statistics.csv")
    stage(report, "image statistics", lambda: image_statistics(pool, statistics),
          args.images)
    metric = build_metric(args.metric, None, device=args.device)
    lazy = store.open_images(pool)
    for layer in args.layers:
        dirs, scores = str(tmp / layer / "neurons.zarr"), str(tmp / f"{layer}_ii.csv")
        find_direction_sets(str(tmp / f"{layer}.zarr"), sets=[
            {"name": "neurons", "k_ratio": 1.0, "options": {}}], seed=0, outs=[dirs])
        resp = store.open_dataset(dirs)["responses"].values
        stage(report, f"II of every {layer} unit",
              lambda: interpretability_index(resp, lazy, metric=metric, k=5))
        stage(report, f"II + MIS of every {layer} unit",
              lambda: score_units(design_scores(resp, 5, seed=0, mis=MIS), lazy, metric=metric,
                                  alpha=None))
        stage(report, f"score job of every {layer} unit (II, MIS, low-level baseline)",
              lambda: score_direction_sets(
                  [dirs], outs=[scores], pool=pool, statistics=statistics, embeddings={},
                  weights={}, scoring=Scoring(args.metric, 5, mis=MIS, lowlevel_baseline=BASELINE),
                  seed=0, device=args.device))
        ii, both = (report[f"{name} of every {layer} unit"]["wall_s"] for name in ("II", "II + MIS"))
        report[f"II of every {layer} unit"]["units"] = resp.shape[1]
        report[f"MIS cost / II cost, {layer}"] = round((both - ii) / ii, 2)


if __name__ == "__main__":
    main()
