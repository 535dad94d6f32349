"""K-means for direction discovery: the torch Lloyd loop vs scikit-learn, same data.

Unit-normalised Gaussian data (n x d), K clusters, one start each, 20 Lloyd
iterations at most for every implementation (tol 0, so all run the same number of
iterations and the time per iteration is compared fairly). Reports wall times,
inertias and the ratios. The torch loop is what the workflow runs on a GPU; on a
CPU the workflow keeps scikit-learn.

Usage: python bench/bench_kmeans.py [--n 50000] [--d 256] [--k 256] [--device cuda]
"""

import argparse
import json

import numpy as np
import torch
from sklearn.cluster import KMeans, MiniBatchKMeans

from superposition.directions import torch_kmeans, unit_rows
from timing import machine, timed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--k", type=int, default=256)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    x = unit_rows(np.random.default_rng(0).normal(size=(args.n, args.d))).astype(np.float32)
    init = x[np.random.default_rng(1).choice(args.n, args.k, replace=False)]
    torch_kmeans(x[:1000], 8, seed=0, n_init=1, init=init[:8], max_iter=2,
                 device=args.device)  # warm-up
    t_torch, ours = timed(lambda: torch_kmeans(x, args.k, seed=0, n_init=1, init=init,
                                               max_iter=args.iters, device=args.device, tol=0))
    t_full, full = timed(lambda: KMeans(args.k, init=init, n_init=1, max_iter=args.iters,
                                        tol=0, random_state=0).fit(x))
    t_mini, mini = timed(lambda: MiniBatchKMeans(args.k, init=init, n_init=1,
                                                 max_iter=args.iters, random_state=0).fit(x))
    print(json.dumps({
        "machine": machine(args.device),
        "n": args.n, "d": args.d, "k": args.k, "max_iter": args.iters,
        "torch_lloyd_s": round(t_torch, 3), "sklearn_kmeans_s": round(t_full, 3),
        "sklearn_minibatch_s": round(t_mini, 3),
        "inertia": {"torch": round(ours.inertia_, 1), "sklearn": round(float(full.inertia_), 1),
                    "minibatch": round(float(mini.inertia_), 1)},
        "sklearn_over_torch": round(t_full / t_torch, 2),
        "minibatch_over_torch": round(t_mini / t_torch, 2),
    }, indent=2))


if __name__ == "__main__":
    main()
