"""Why the CPU forward runs in passes of 64 images: page faults of fresh activation maps.

ResNet-50 (CIFAR-10 variant, random weights) cut at a layer, over 8,192 images of
32 px in batches of 512, each batch forwarded whole or in passes of 64 (what
``activations.forward_chunks`` does). Each variant runs in a fresh process, as a
workflow job does, and reports wall, user and system time and minor page faults.

Usage: python bench/bench_forward_passes.py [--layers layer1 layer4]
"""

import argparse
import json
import resource
import subprocess
import sys
import time

N_IMAGES, BATCH = 8192, 512


def child(layer: str, passes: int) -> dict:
    import numpy as np
    import torch

    from superposition.activations import LayerTaps, preprocess
    from superposition.models import CIFAR_MEAN, CIFAR_STD, build_model

    tap = LayerTaps(build_model("cifar10/resnet50", "random", hub_dir=None, seed=0), [layer])
    images = np.random.default_rng(0).integers(0, 256, (N_IMAGES, 32, 32, 3), np.uint8)
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for i in range(0, N_IMAGES, BATCH):
        batch = preprocess(images[i:i + BATCH], CIFAR_MEAN, CIFAR_STD, None, "cpu")
        for chunk in batch.split(passes):
            tap(chunk)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {"layer": layer, "pass": passes, "threads": torch.get_num_threads(),
            "wall_s": round(time.perf_counter() - start, 1),
            "user_s": round(after.ru_utime - before.ru_utime, 1),
            "sys_s": round(after.ru_stime - before.ru_stime, 1),
            "page_faults": after.ru_minflt - before.ru_minflt}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", nargs="+", default=["layer1", "layer4"])
    ap.add_argument("--child", nargs=2, metavar=("LAYER", "PASS"))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    for layer in args.layers:
        rows = {p: json.loads(subprocess.run(
            [sys.executable, __file__, "--child", layer, str(p)], capture_output=True, text=True,
            check=True).stdout.splitlines()[-1]) for p in (BATCH, 64)}
        for row in rows.values():
            print(json.dumps(row))
        print(f"{layer}: passes of 64 are {rows[BATCH]['wall_s'] / rows[64]['wall_s']:.2f}x faster")


if __name__ == "__main__":
    main()
