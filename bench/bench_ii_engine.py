"""II engine vs the per-pair call pattern of the stock lpips package.

Same inputs in one run: a random-backbone LPIPS-AlexNet (weights do not change
the cost), 64 px images, 256 units, k = 5, random top-k sets (little overlap:
the worst case for caching). Three timings:

- per_pair:  lpips.LPIPS()(x_i, x_j) for every pair of every unit's top-k set,
             the paper code's pattern (one network forward per pair);
- engine:    superposition's II engine (embed each unique image once, all
             distances from the embeddings);
- floor:     one batched forward of the backbone over the unique images, the
             least any exact method must do.

Usage: python bench/bench_ii_engine.py [--units 256] [--device cpu]
"""

import argparse
import json

import numpy as np
import torch

import lpips
from superposition.interpretability import embed_subset, ii_from_distances, set_distances
from superposition.metrics import build_metric
from timing import machine, timed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=256)
    ap.add_argument("--pool", type=int, default=5000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.pool, args.size, args.size, 3), dtype=np.uint8)
    sets = np.stack([rng.choice(args.pool, args.k, replace=False) for _ in range(args.units)])

    torch.manual_seed(0)
    metric = build_metric("lpips_alex_random", device=args.device)
    torch.manual_seed(0)
    stock = lpips.LPIPS(net="alex", pnet_rand=True, verbose=False).to(args.device).eval()
    x = (torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255).to(args.device)

    def per_pair():
        d = np.zeros((args.units, args.k, args.k))
        with torch.no_grad():
            for u, idx in enumerate(sets):
                for a in range(args.k):
                    for b in range(a + 1, args.k):
                        v = stock(x[idx[a]:idx[a] + 1], x[idx[b]:idx[b] + 1], normalize=True)
                        d[u, a, b] = d[u, b, a] = v.item()
        return d

    def engine():
        emb, local = embed_subset(images, sets, metric=metric)
        return set_distances(local, emb, metric=metric).cpu().numpy()

    unique = np.unique(sets)

    def floor():
        with torch.no_grad():
            for start in range(0, len(unique), 128):
                batch = x[torch.as_tensor(unique[start:start + 128], device=args.device)]
                stock.net.forward(stock.scaling_layer(2 * batch - 1))

    engine()  # warm-up (allocations, lazy init)
    t_pair, d_pair = timed(per_pair)
    t_engine, d_engine = timed(engine, repeats=3)
    t_floor, _ = timed(floor, repeats=3)
    ii_a = ii_from_distances(torch.as_tensor(d_pair))["ii_pairs"]
    ii_b = ii_from_distances(torch.as_tensor(d_engine))["ii_pairs"]
    result = {
        "machine": machine(args.device),
        "units": args.units, "k": args.k, "image_px": args.size,
        "unique_images": int(len(unique)),
        "per_pair_s": round(t_pair, 4), "engine_s": round(t_engine, 4),
        "floor_s": round(t_floor, 4),
        "speedup_vs_per_pair": round(t_pair / t_engine, 1),
        "engine_over_floor": round(t_engine / t_floor, 2),
        "max_abs_distance_diff": float(np.abs(d_pair - d_engine).max()),
        "max_abs_ii_diff": float(np.abs(ii_a - ii_b).max()),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
