"""Image pools at ImageNet scale: build time, bytes on disk and peak memory by pool size.

Folder pools of JPEG photographs (256 px, cut at random from the photographs bundled
with scikit-image and scikit-learn, 100 class folders) built at 224 px, and zip
archives of 32 px PNGs, through the workflow's own ``build_pool``, each build in a
fresh process as a workflow job runs it (its peak resident memory), with 2 decoding
threads (the job's threads here). Folders are built both ways: stored as pixels and
kept in place. Then the model's one-pass caching from a folder pool of each kind.

Baselines in the same run: a decode-only floor (every image decoded and resized by a
process per core, nothing kept), the build as it was before streaming (every image
decoded in one thread into one array, then written) at the smaller sizes, and for the
caching a bare forward over the same images held in memory.

Usage: python bench/bench_pools.py [--workdir DIR] [--folder-sizes 5000 20000 50000]
       [--zip-sizes 10000 50000 100000] [--cache-images 2000]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from io import BytesIO
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
CACHE_ARCH, CACHE_LAYERS = "torchvision/mobilenet_v2", ["features.4", "features.7",
                                                         "features.14", "features.17"]


# -- inputs -------------------------------------------------------------------------

def _crop(args):
    seed, side = args
    from superposition.images import _bundled_photos, resize

    photos = _crop.photos = getattr(_crop, "photos", None) or _bundled_photos()
    rng = np.random.default_rng(seed)
    photo = photos[sorted(photos)[rng.integers(len(photos))]]
    h, w = photo.shape[:2]
    cut = int(rng.uniform(0.1, 0.6) * min(h, w))
    y, x = rng.integers(0, h - cut + 1), rng.integers(0, w - cut + 1)
    return resize(photo[y:y + cut, x:x + cut], side)


def _jpeg(args):
    i, root = args
    path = Path(root) / f"class{i % 100:03d}" / f"img{i:06d}.jpg"
    Image.fromarray(_crop((i, 256))).save(path, quality=90)


def _png(i):
    buf = BytesIO()
    Image.fromarray(_crop((i, 32))).save(buf, format="PNG")
    return f"img{i:06d}.png", buf.getvalue()


def make_inputs(work: Path, n_folder: int, n_zip: int) -> tuple[Path, Path]:
    folder, archive = work / "jpegs", work / "pngs32.zip"
    with Pool(os.cpu_count()) as pool:
        if not folder.exists() or sum(1 for _ in folder.rglob("*.jpg")) < n_folder:
            for c in range(100):
                (folder / f"class{c:03d}").mkdir(parents=True, exist_ok=True)
            pool.map(_jpeg, [(i, str(folder)) for i in range(n_folder)], chunksize=256)
        if not archive.exists():
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
                for name, data in pool.imap(_png, range(n_zip), chunksize=512):
                    zf.writestr(name, data)
    return folder, archive


# -- children: one measurement each, in a fresh process -----------------------------

def _decode(args):
    kind, path, name, size = args
    from superposition.images import read_image, resize

    if kind == "folder":
        return resize(read_image(Path(name)), size).shape
    zf = _decode.zf = getattr(_decode, "zf", None) or zipfile.ZipFile(path)
    with Image.open(BytesIO(zf.read(name))) as img:
        return resize(np.asarray(img.convert("RGB")), size).shape


def child(args) -> dict:
    from superposition.images import folder_files, zip_members

    from superposition.pipeline.images import build_pool
    from superposition.pipeline.responses import cache_activations

    n, size, out = args.n, args.size, Path(args.out)
    start = time.perf_counter()
    if args.child == "build":
        options = {"path": args.path, "size": size, "n_images": n}
        if args.store:
            options["store"] = args.store
        build_pool("bench", kind=args.kind, params=options, seed=0, out=str(out), workers=2)
    elif args.child == "floor":
        names = ([str(f) for f in folder_files(Path(args.path), n)[0]] if args.kind == "folder"
                 else zip_members(Path(args.path), n))
        with Pool(os.cpu_count()) as pool:
            list(pool.imap_unordered(_decode, [(args.kind, args.path, f, size) for f in names],
                                     chunksize=64))
    elif args.child == "before":  # the build before streaming: one array, then written
        import xarray as xr

        from superposition import store
        from superposition.images import read_image, resize

        files = folder_files(Path(args.path), n)[0]
        images = np.stack([resize(read_image(f), size) for f in files])
        store.write_dataset(xr.Dataset({"images": (("image", "y", "x", "channel"), images)}),
                            out, chunk_images=256)
    elif args.child == "cache":
        cache_activations(args.path, architecture=CACHE_ARCH, weights_dir=None,
                          weights_tag="random", layers=CACHE_LAYERS, statistic="centre",
                          batch_size=64, input_size=None, device="cpu", seed=0, source="bench",
                          out=str(out), workers=2)
    elif args.child == "bare":
        import torch

        from superposition.models import build_model, split_architecture
        from superposition.pipeline.io import pool_images
        from timing import BareForward

        family, _ = split_architecture(CACHE_ARCH)
        bare = BareForward(build_model(CACHE_ARCH, "random", hub_dir=None, seed=0),
                           pool_images(args.path)[:],
                           64, family.mean, family.std, "cpu")
        start = time.perf_counter()  # the forward only, on tensors already in memory
        bare()
    wall = time.perf_counter() - start
    on_disk = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) if out.exists() else 0
    return {"wall_s": round(wall, 2),
            "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
            "bytes_on_disk": on_disk}


def run(what: str, **kw) -> dict:
    cmd = [sys.executable, __file__, "--child", what] + [
        f"--{k.replace('_', '-')}={v}" for k, v in kw.items() if v is not None]
    out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ | {
        "PYTHONPATH": str(HERE)})
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(what, kw.get("n"), kw.get("store") or "", result, flush=True)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--folder-sizes", type=int, nargs="+", default=[5000, 20000, 50000])
    ap.add_argument("--zip-sizes", type=int, nargs="+", default=[10000, 50000, 100000])
    ap.add_argument("--before-sizes", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--cache-images", type=int, default=2000)
    # a child's arguments
    ap.add_argument("--child", choices=["build", "floor", "before", "cache", "bare"])
    ap.add_argument("--kind"), ap.add_argument("--path"), ap.add_argument("--out")
    ap.add_argument("--store"), ap.add_argument("--n", type=int)
    ap.add_argument("--size", type=int)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    work = Path(args.workdir or tempfile.mkdtemp())
    start = time.perf_counter()
    folder, archive = make_inputs(work, max(args.folder_sizes), max(args.zip_sizes))
    report = {"cores": os.cpu_count(), "inputs_s": round(time.perf_counter() - start, 1)}
    rows = []
    for kind, path, size, sizes in (("folder", folder, 224, args.folder_sizes),
                                    ("zip", archive, 32, args.zip_sizes)):
        for n in sizes:
            floor = run("floor", kind=kind, path=path, n=n, size=size, out=work / "none")
            for keep in ["pixels", "in_place"] if kind == "folder" else [None]:
                out = work / f"{kind}_{n}_{keep}.zarr"
                built = run("build", kind=kind, path=path, n=n, size=size, store=keep, out=out)
                rows.append({"kind": kind, "px": size, "images": n, "store": keep or "pixels",
                             "build_s": built["wall_s"],
                             "ms_per_image": round(1e3 * built["wall_s"] / n, 3),
                             "bytes_per_image": round(built["bytes_on_disk"] / n, 1),
                             "peak_rss_gib": built["peak_rss_gib"],
                             "floor_s": floor["wall_s"],
                             "build / floor": round(built["wall_s"] / floor["wall_s"], 2)})
            if kind == "folder" and n in args.before_sizes:
                before = run("before", kind=kind, path=path, n=n, size=size,
                             out=work / f"before_{n}.zarr")
                rows.append({"kind": kind, "px": size, "images": n,
                             "store": "pixels, before streaming", "build_s": before["wall_s"],
                             "peak_rss_gib": before["peak_rss_gib"],
                             "bytes_per_image": round(before["bytes_on_disk"] / n, 1)})
    report["pools"] = rows
    # one-pass caching from a pool of each kind, against its two floors
    n = args.cache_images
    for keep in ("pixels", "in_place"):
        pool = work / f"cache_pool_{keep}.zarr"
        run("build", kind="folder", path=folder, n=n, size=224, store=keep, out=pool)
        report[f"cache from {keep}"] = run("cache", path=pool, n=n, out=work / f"acts_{keep}")
    report["decode-only floor, cache pool"] = run("floor", kind="folder", path=folder, n=n,
                                                  size=224, out=work / "none")
    report["bare forward, cache pool"] = run("bare", path=work / "cache_pool_pixels.zarr", n=n,
                                             out=work / "none")
    bare = report["bare forward, cache pool"]["wall_s"]
    floor = report["decode-only floor, cache pool"]["wall_s"]
    for keep in ("pixels", "in_place"):
        wall = report[f"cache from {keep}"]["wall_s"]
        report[f"cache from {keep} / bare forward"] = round(wall / bare, 2)
        report[f"cache from {keep} / (bare forward + decode floor)"] = round(wall / (bare + floor),
                                                                             2)
    report["total_s"] = round(time.perf_counter() - start, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
