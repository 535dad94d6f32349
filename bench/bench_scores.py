"""What a score job costs: the II alone (the baseline, measured in the same run), the II
with the MIS in the same embedding pass, with the bland-image control as well, that
whole job reading the pool's embeddings from the per-pool cache instead of embedding, and
reading each set's distances from the pool's distance matrix (small pools).

A pool of random 64 px images (content does not change the cost) and a layer of
random responses, scored under LPIPS-AlexNet with a random backbone (the weights do
not change the cost either), k = 5, MIS with K = 9, N = 20, quantile 0.25, the
low-level baseline with 10 shadow sets of degree 2; the embedded default's sizes by default
(2,500 images, 160 units: MobileNetV2 features.14).

Usage: python bench/bench_scores.py [--images 2500] [--units 160] [--device cuda]
       [--metric deepfeat_efficientnet_lite0
        --weights resources/weights/metrics/deepfeat_efficientnet_lite0]
"""

import argparse
import json

import numpy as np
import torch

from superposition.interpretability import (PoolDistances, interpretability_index,
                                            pool_distance_matrix)
from superposition.lowlevel import BASELINE_DEFAULTS as BASELINE, image_statistics
from superposition.metrics import build_metric
from superposition.mis import DEFAULTS as MIS
from superposition.scoring import design_scores, score_units
from timing import machine, timed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=2500)
    ap.add_argument("--units", type=int, default=160)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--metric", default="lpips_alex_random")
    ap.add_argument("--weights", default=None, help="the metric's weights directory, if any")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--groups", type=int, default=0,
                    help="images in this many groups, scored one per group (the demo: 19)")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.images, args.size, args.size, 3), np.uint8)
    responses = rng.gamma(1.0, 1.0, (args.images, args.units))
    metric = build_metric(args.metric, args.weights, device=args.device)
    stats = image_statistics(images)
    g = np.arange(args.images) % args.groups if args.groups else None
    report = {"machine": machine(args.device), "images": args.images, "units": args.units,
              "size": args.size, "metric": args.metric, "mis": MIS, "baseline": BASELINE,
              "groups": args.groups}
    alpha = None  # hard accuracy: no fitted alpha for these metrics
    runs = {
        "II alone (baseline)": lambda: interpretability_index(responses, images, metric=metric, k=5,
                                                              groups=g),
        "II + MIS": lambda: score_units(design_scores(responses, 5, seed=0, mis=MIS, groups=g),
                                        images, metric=metric, alpha=alpha),
        "II + MIS + low-level baseline": lambda: score_units(
            design_scores(responses, 5, seed=0, mis=MIS, statistics=stats, baseline=BASELINE,
                          groups=g), images, metric=metric, alpha=alpha),
        "embed the pool once": lambda: metric.embed(images).cpu().numpy(),
    }
    for name, fn in runs.items():
        report[name + " s"], out = timed(fn)
        print(name, round(report[name + " s"], 2), flush=True)
    cache = out
    report["II + MIS + low-level baseline, cached embeddings s"], cached = timed(
        lambda: score_units(design_scores(responses, 5, seed=0, mis=MIS, statistics=stats,
                                          baseline=BASELINE, groups=g), images,
                            metric=metric, alpha=alpha, embeddings=cache))
    report["pool distance matrix, once s"], matrix = timed(
        lambda: PoolDistances(pool_distance_matrix(torch.from_numpy(cache), metric)))
    report["II + MIS + low-level baseline, pool distance matrix s"], gathered = timed(
        lambda: score_units(design_scores(responses, 5, seed=0, mis=MIS, statistics=stats,
                                          baseline=BASELINE, groups=g), images,
                            metric=metric, alpha=alpha, embeddings=matrix))
    report["design alone s"], _ = timed(
        lambda: design_scores(responses, 5, seed=0, mis=MIS, statistics=stats, baseline=BASELINE,
                              groups=g))
    report["matrix path equals cached (max abs diff of II, MIS)"] = [
        float(np.abs(cached[c] - gathered[c]).max()) for c in ("ii_pairs", "mis")]
    fresh = score_units(design_scores(responses, 5, seed=0, mis=MIS, statistics=stats,
                                      baseline=BASELINE, groups=g), images, metric=metric,
                        alpha=alpha)
    report["cached equals fresh (max abs diff of II, MIS)"] = [
        float(np.abs(cached[c] - fresh[c]).max()) for c in ("ii_pairs", "mis")]
    base = report["II alone (baseline) s"]
    for name in ("II + MIS", "II + MIS + low-level baseline",
                 "II + MIS + low-level baseline, cached embeddings",
                 "II + MIS + low-level baseline, pool distance matrix"):
        report[f"{name} / II alone"] = round(report[name + " s"] / base, 2)
    report["cached / embedding in the job"] = round(
        report["II + MIS + low-level baseline, cached embeddings s"]
        / report["II + MIS + low-level baseline s"], 2)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in report.items()},
                     indent=2))


if __name__ == "__main__":
    main()
