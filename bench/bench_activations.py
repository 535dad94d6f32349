"""Activation caching vs a bare forward pass over the same tensors.

The workflow's path: images read from a Zarr pool in batches (read ahead in
threads), forward cut at the layer (on the CPU in passes of 64 images), statistic
on the device, rows streamed into a Zarr store. The baseline: the model's full
forward over the same images already in memory as float tensors, in the same
passes, nothing kept; and the same with whole batches, which shows what the CPU
passes of 64 gain. All in one run, best of 3.

Usage: python bench/bench_activations.py [--arch cifar10/resnet50] [--layer layer4]
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from superposition import store
from superposition.activations import layer_layouts, stream_activations
from superposition.models import build_model, split_architecture
from timing import BareForward, machine, timed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="cifar10/resnet50")
    ap.add_argument("--layer", default="layer4")
    ap.add_argument("--images", type=int, default=2048)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    family, _ = split_architecture(args.arch)
    model = build_model(args.arch, "random", hub_dir=None, seed=0).to(args.device)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.images, args.size, args.size, 3), dtype=np.uint8)
    tmp = Path(tempfile.mkdtemp())
    store.write_dataset(xr.Dataset({"images": (("image", "y", "x", "channel"), images)}),
                        tmp / "pool.zarr", chunk_images=args.batch)
    lazy = store.open_images(tmp / "pool.zarr")
    bare = BareForward(model, images, args.batch, family.mean, family.std, args.device)

    def cached():
        layouts = layer_layouts(model, [args.layer], shape=(args.size, args.size), size=None,
                                mean=family.mean,
                                std=family.std, device=args.device, statistic="centre")
        writer = store.ResponseWriter(tmp / "acts.zarr", args.images,
                                      [str(i) for i in range(layouts[args.layer].channels)], {})
        stream_activations(model, layouts, images=lazy, statistic="centre", batch_size=args.batch,
                           size=None, mean=family.mean, std=family.std, device=args.device,
                           write=lambda rows: writer.write(rows[args.layer]))
        writer.close()

    bare(), cached()  # warm-up
    (t_bare, _), (t_cached, _) = timed(bare, repeats=3), timed(cached, repeats=3)
    t_whole, _ = timed(lambda: bare(whole=True), repeats=3)
    print(json.dumps({
        "machine": machine(args.device),
        "arch": args.arch, "layer": args.layer, "images": args.images, "px": args.size,
        "bare_forward_img_per_s": round(args.images / t_bare, 1),
        "bare_forward_whole_batches_img_per_s": round(args.images / t_whole, 1),
        "cached_img_per_s": round(args.images / t_cached, 1),
        "cached_over_bare": round(t_bare / t_cached, 3),
    }, indent=2))


if __name__ == "__main__":
    main()
