"""What fitting a dictionary costs at the size of ResNet-50 layer4 (50,000 images x 2,048
units), at K = n and K = 4n: wall time and peak resident memory of each method, against
PCA with K = n (the baseline, measured in the same run).

Fits are bounded so that a CPU run ends: the SAEs train ``--epochs`` (default 1) at batch
``--batch`` (1,024), the NMFs run ``--max-iter`` (default 5) iterations, K-means one
initialisation of ``--max-iter`` Lloyd steps. Per-epoch and per-iteration costs scale
linearly from there. The responses are random and rectified (half the units silent per
image), like a ReLU layer's.

Usage: python bench/bench_dictionaries.py [--images 50000] [--units 2048] [--ratios 1 4]
       [--methods topk_sae batchtopk_sae ...] [--device cuda]
"""

import argparse
import json

import numpy as np
import torch

from superposition.directions import find_directions
from timing import PeakMemory, machine, timed

SAES = ["topk_sae", "batchtopk_sae", "jumprelu_sae", "archetypal_sae"]
NMFS = ["semi_nmf", "convex_nmf"]


def options(method: str, args) -> dict:
    if method in SAES:
        return {"max_epochs": args.epochs, "tol": 0, "batch_size": args.batch, "device": args.device}
    if method in NMFS:
        return {"max_iter": args.max_iter, "device": args.device}
    if method == "kmeans":
        return {"n_init": 1, "max_iter": args.max_iter, "device": args.device}
    return {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=50_000)
    ap.add_argument("--units", type=int, default=2_048)
    ap.add_argument("--ratios", type=float, nargs="+", default=[1, 4])
    ap.add_argument("--methods", nargs="+", default=SAES + NMFS + ["kmeans"])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--max-iter", type=int, default=5)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((args.images, args.units), np.float32), 0)
    report = {"machine": machine(args.device), "images": args.images, "units": args.units,
              "epochs": args.epochs, "batch": args.batch, "max_iter": args.max_iter}
    with PeakMemory() as mem:
        report["pca K=n (baseline) s"], _ = timed(
            lambda: find_directions(x, "pca", n_components=args.units, seed=0))
    report["pca K=n (baseline) peak GiB"] = round(mem.host_gib, 2)
    print("pca", report["pca K=n (baseline) s"], flush=True)
    for ratio in args.ratios:
        k = int(round(ratio * args.units))
        for method in args.methods:
            name = f"{method} K={ratio:g}n"
            with PeakMemory() as mem:
                seconds, _ = timed(lambda: find_directions(x, method, n_components=k, seed=0,
                                                           **options(method, args)))
            report[f"{name} s"] = round(seconds, 1)
            report[f"{name} peak GiB"] = round(max(mem.host_gib, mem.device_gib), 2)
            report[f"{name} / pca"] = round(seconds / report["pca K=n (baseline) s"], 2)
            print(name, report[f"{name} s"], report[f"{name} peak GiB"], flush=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
