"""Image pools: the natural and synthetic images whose responses are analysed.

Each pool is a registered generator returning uint8 images (N x H x W x 3), a
label per image and, where known, ground-truth factors per image. Pools read from
files (a folder, a zip archive, ImageNet files) return their images as
:class:`Decoded`: decoded by parallel threads batch by batch as the pool is
written, so memory stays flat however many images there are.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import numpy as np
from PIL import Image, ImageDraw

from .parallel import ordered_map
from .registry import Registry

log = logging.getLogger("superposition")

POOLS: Registry = Registry("image pool")


class Decoded:
    """N images of ``size`` px, each decoded on demand by ``read(i)``, in order, by
    parallel threads with a bounded read-ahead; ``done()`` runs once all are read."""

    dtype = np.dtype(np.uint8)

    def __init__(self, n: int, size: int, read: Callable[[int], np.ndarray],
                 done: Callable[[], None] = lambda: None):
        self.shape, self._read, self._done = (n, size, size, 3), read, done

    def __len__(self) -> int:
        return self.shape[0]

    def batches(self, batch_size: int, workers: int) -> Iterator[np.ndarray]:
        # a task decodes a run of images (few tasks per batch: little overhead per image),
        # and the threads run up to two batches ahead of the writer
        run = max(1, batch_size // (4 * max(1, workers)))
        runs = ordered_map(lambda s: [self._read(i) for i in range(s, min(s + run, len(self)))],
                           range(0, len(self),
                                 run), workers=workers, ahead=-(-2 * batch_size // run))
        rows = (image for images in runs for image in images)
        while batch := list(islice(rows, batch_size)):
            yield np.stack(batch)
        self._done()


def image_batches(images: "np.ndarray | Decoded", batch_size: int,
                  workers: int = 2) -> Iterator[np.ndarray]:
    """A pool's images, batch by batch, whether held in memory or decoded on demand."""
    if isinstance(images, Decoded):
        return images.batches(batch_size, workers)
    return (images[s:s + batch_size] for s in range(0, len(images), batch_size))


@dataclass
class Pool:
    """Images plus per-image label and factors (name -> values)."""

    images: np.ndarray | Decoded
    labels: list[str]
    factors: dict[str, np.ndarray] = field(default_factory=dict)
    # the source an image was cut from (e.g. a photograph), where several images share one
    groups: list[str] | None = None
    info: dict = field(default_factory=dict)  # what building it skipped or converted
    # where the labels are classes, how they were read (see class_labels, or the dataset)
    classes: str | None = None

    def __post_init__(self):
        shape = self.images.shape
        if len(shape) != 4 or shape[-1] != 3 or self.images.dtype != np.uint8:
            raise ValueError(f"pool images must be uint8 N x H x W x 3, got "
                             f"{self.images.dtype} {self.images.shape}")
        if len(self.labels) != len(self.images):
            raise ValueError("one label per image is required")


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """Square resize with antialiasing; greyscale and RGBA become RGB."""
    pil = Image.fromarray(image)
    return np.asarray(pil.convert("RGB").resize((size, size), Image.Resampling.BICUBIC))


def _bundled_photos() -> dict[str, np.ndarray]:
    """The real photographs that ship inside scikit-image and scikit-learn."""
    from skimage import data
    from sklearn.datasets import load_sample_images

    names = ["astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "retina",
             "immunohistochemistry", "brick", "grass", "gravel", "camera", "moon", "coins",
             "clock", "cell", "microaneurysms"]
    photos = {}
    for name in names:
        img = np.asarray(getattr(data, name)())
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        photos[name] = np.ascontiguousarray(img[..., :3]).astype(np.uint8)
    photos["motorcycle"] = data.stereo_motorcycle()[0]
    sk = load_sample_images()
    for fname, img in zip(sk.filenames, sk.images):
        photos[Path(fname).stem] = img
    return photos


@POOLS.register("photos")
def photo_crops(n_images: int, size: int, *, seed: int,
                scales: tuple[float, ...] = (0.12, 0.25, 0.5)) -> Pool:
    """Deterministic square crops, at several scales, of the bundled photos; each
    crop's group is its photograph."""
    rng = np.random.default_rng(seed)
    photos = _bundled_photos()
    names = sorted(photos)
    images = np.empty((n_images, size, size, 3), np.uint8)
    labels, scale_used = [], np.empty(n_images)
    for i in range(n_images):
        name = names[rng.integers(len(names))]
        photo = photos[name]
        h, w = photo.shape[:2]
        scale = scales[rng.integers(len(scales))]
        side = max(8, int(scale * min(h, w)))
        y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        images[i] = resize(photo[y:y + side, x:x + side], size)
        labels.append(name)
        scale_used[i] = scale
    return Pool(images, labels, {"scale": scale_used}, groups=list(labels))


SHAPES = ("circle", "square", "triangle", "cross")
COLOURS = {"red": (220, 40, 40), "green": (40, 180, 60), "blue": (40, 80, 220),
           "yellow": (230, 210, 40)}


def _shape_polygon(shape: str, cx: float, *, cy: float, r: float, angle: float):
    if shape == "circle":
        return None
    if shape == "square":
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * 0.8
    elif shape == "triangle":
        corners = np.array([[0, -1], [0.87, 0.5], [-0.87, 0.5]])
    else:  # cross
        a, b = 0.35, 1.0
        corners = np.array([[-a, -b], [a, -b], [a, -a], [b, -a], [b, a], [a, a], [a, b],
                            [-a, b], [-a, a], [-b, a], [-b, -a], [-a, -a]])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    pts = corners @ rot.T * r + np.array([cx, cy])
    return [tuple(p) for p in pts]


@POOLS.register("shapes")
def shapes(n_images: int, size: int, seed: int) -> Pool:
    """Procedural shapes with recorded ground-truth factors.

    Factors: shape, colour, texture (solid or a grating of some frequency and
    orientation), rotation, size and position, on a noisy grey background.
    """
    rng = np.random.default_rng(seed)
    up = 2 * size  # draw large, downsample for antialiasing
    colour_names = list(COLOURS)
    out = np.empty((n_images, size, size, 3), np.uint8)
    f = {k: np.empty(n_images) for k in ("shape", "colour", "frequency", "orientation",
                                         "rotation", "size", "x", "y")}
    labels = []
    yy, xx = np.mgrid[0:up, 0:up] / up
    for i in range(n_images):
        s, c = rng.integers(len(SHAPES)), rng.integers(len(colour_names))
        r = rng.uniform(0.18, 0.34) * up
        cx, cy = rng.uniform(r, up - r), rng.uniform(r, up - r)
        rot = rng.uniform(0, np.pi)
        freq = rng.choice([0.0, 4.0, 8.0])
        ori = rng.uniform(0, np.pi)
        bg = rng.uniform(90, 160)
        canvas = np.clip(bg + rng.normal(0, 12, (up, up, 1)), 0, 255) * np.ones((1, 1, 3))
        mask_img = Image.new("L", (up, up), 0)
        draw = ImageDraw.Draw(mask_img)
        poly = _shape_polygon(SHAPES[s], cx, cy=cy, r=r, angle=rot)
        if poly is None:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
        else:
            draw.polygon(poly, fill=255)
        mask = np.asarray(mask_img, float)[..., None] / 255
        grating = 1.0 if freq == 0 else 0.65 + 0.35 * np.sign(
            np.sin(2 * np.pi * freq * (xx * np.cos(ori) + yy * np.sin(ori))))[..., None]
        fg = np.array(COLOURS[colour_names[c]], float) * grating
        canvas = canvas * (1 - mask) + fg * mask
        out[i] = resize(np.clip(canvas, 0, 255).astype(np.uint8), size)
        for key, val in zip(f, (s, c, freq, ori, rot, r / up, cx / up, cy / up)):
            f[key][i] = val
        labels.append(f"{SHAPES[s]}-{colour_names[c]}")
    return Pool(out, labels, f)


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class ModeCount:
    """The colour modes (RGBA, L, ...) met while decoding, counted across threads, so
    conversions to RGB can be reported."""

    def __init__(self):
        self.counts, self._lock = Counter(), threading.Lock()

    def add(self, mode: str) -> None:
        with self._lock:
            self.counts[mode] += 1

    def converted(self) -> dict[str, int]:
        return {m: n for m, n in sorted(self.counts.items()) if m != "RGB"}


def read_image(path: Path, modes: ModeCount | None = None) -> np.ndarray:
    """Read one image as RGB uint8, naming the file if it cannot be decoded; ``modes``
    counts the colour modes met."""
    try:
        with Image.open(path) as img:
            img.load()
            if modes is not None:
                modes.add(img.mode)
            return np.asarray(img.convert("RGB"))
    except Exception as err:  # PIL raises many types for broken files
        raise ValueError(f"cannot read image {path}: {err}. Replace or remove the file "
                         f"and rerun.") from err


def resize_centre_crop(image: np.ndarray, short_side: int = 256, crop: int = 224) -> np.ndarray:
    """torchvision's Resize(short_side) + CenterCrop(crop), the IMI stimulus transform."""
    pil = Image.fromarray(image)
    w, h = pil.size
    scale = short_side / min(w, h)
    pil = pil.resize((max(crop, round(w * scale)), max(crop, round(h * scale))),
                     Image.Resampling.BILINEAR)
    left, top = (pil.size[0] - crop) // 2, (pil.size[1] - crop) // 2
    return np.asarray(pil.crop((left, top, left + crop, top + crop)))


def listed_files(root: str | Path, files: list[str], size: int) -> Decoded:
    """Named files below ``root`` (e.g. ImageNet train), as IMI showed them.

    Every file is checked before any is decoded, so a wrong root fails at once,
    naming what is missing.
    """
    root = Path(root)
    missing = [f for f in files if not (root / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of {len(files)} images are missing under {root}, e.g. "
            f"{', '.join(missing[:3])}; set imi.imagenet_root to the ImageNet-1k train folder "
            f"(the one holding n01440764/ ...)")

    def prepare(i):
        image = resize_centre_crop(read_image(root / files[i]))
        return image if size == image.shape[0] else resize(image, size)

    return Decoded(len(files), size, prepare)


def folder_files(root: Path, n_images: int | None = None) -> tuple[list[Path], list[Path]]:
    """The images below a folder, sorted by path (the first ``n_images``), and the other
    files, which a folder pool skips."""
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist; set image_pools.<name>.path")
    every = sorted(p for p in root.rglob("*") if p.is_file())
    files = [p for p in every if p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under {root}")
    return files[:n_images], [p for p in every if p.suffix.lower() not in IMAGE_SUFFIXES]


def zip_members(archive: Path, n_images: int | None = None) -> list[str]:
    """The image members of a zip archive in file-name order (the first ``n_images``),
    naming the archive when it is missing, not a zip or truncated."""
    import zipfile

    if not archive.is_file():
        raise FileNotFoundError(f"image archive {archive} does not exist; set image_pools.<name>.path")
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as err:
        raise ValueError(f"{archive} is not a readable zip archive ({err}): it may be truncated "
                         f"or another format; download or copy it again") from None
    # by file name (a folder prefix does not reorder Cowley et al.'s imageNNNN.jpg), then
    # by path: class folders' 0000.jpg, 0001.jpg ... interleave, so a subset is balanced
    names = sorted((n for n in names if Path(n).suffix.lower() in IMAGE_SUFFIXES),
                   key=lambda n: (Path(n).name, n))
    if not names:
        raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {archive}")
    return names[:n_images]


WNID = re.compile(r"(?<![0-9a-z])n\d{8}(?![0-9])")


def class_labels(paths: list[str]) -> tuple[list[str], str | None]:
    """Each image's class, from its path relative to the pool's root, and how it was read:
    ``folder`` where the images sit in two or more class folders (``<class>/NNNN.jpg``),
    ``wnid`` where every name carries an ImageNet wnid (``n01440764_tench.JPEG``), else
    None and each image's file stem (no class: no accuracy is measured on the pool, and
    a model row with ``accuracy: true`` refuses it)."""
    parts = [PurePosixPath(p) for p in paths]
    if len({p.parent for p in parts}) > 1:
        return [p.parent.name for p in parts], "folder"
    wnids = [WNID.search(p.name) for p in parts]
    if all(wnids):
        return [w.group(0) for w in wnids], "wnid"
    return [p.stem for p in parts], None


@POOLS.register("folder")
def image_folder(path: str, size: int, *, seed: int = 0, n_images: int | None = None) -> Pool:
    """Every image below a folder, sorted by path; labelled by class folder or wnid where
    the names say (see :func:`class_labels`)."""
    root = Path(path)
    files, others = folder_files(root, n_images)
    skipped = len(others)
    if skipped:
        log.warning("image folder %s: skipped %d files that are not images (%s): e.g. %s",
                    root, skipped, ", ".join(IMAGE_SUFFIXES),
                    [str(p.relative_to(root)) for p in others[:3]])
    modes = ModeCount()
    info = {"skipped_files": skipped, "converted_to_rgb": {}}

    def done():
        info["converted_to_rgb"] = converted = modes.converted()
        if converted:
            log.warning("image folder %s: converted to RGB: %s (an alpha channel is dropped, "
                        "greyscale is repeated)", root,
                        ", ".join(f"{n} {m} images" for m, n in converted.items()))

    decoded = Decoded(len(files), size, lambda i: resize(read_image(files[i], modes), size),
                      done)
    relative = [p.relative_to(root).as_posix() for p in files]
    labels, classes = class_labels(relative)
    return Pool(decoded, labels, {"file": np.asarray(relative)}, info=info, classes=classes)


class InPlace:
    """A folder pool read in place: each image is decoded from its file when read, so
    the pool's store holds only file names, sizes and times (tens of bytes an image).

    Opening it checks every file against the size and modification time it had when
    the pool was built, so a changed folder is refused, never silently analysed.
    """

    dtype = np.dtype(np.uint8)

    def __init__(self, root: str, files: list[str], size: int, stats: np.ndarray,
                 workers: int | None = None):
        self.root, self.files = Path(root), list(files)
        self.workers = workers or _usable_cores()
        self.shape = (len(self.files), size, size, 3)
        changed = [f for f, (n, t) in zip(self.files, stats) if _stat(self.root / f) != (n, t)]
        if changed:
            raise ValueError(
                f"{len(changed)} images under {root} changed or went missing since the pool "
                f"was built, e.g. {', '.join(changed[:3])}: rebuild the pool (snakemake "
                f"--forcerun build_image_pool) or restore the files")

    @staticmethod
    def stats(root: Path, files: list[str]) -> np.ndarray:
        """Each file's size in bytes and modification time in ns (image x 2)."""
        return np.array([_stat(root / f) for f in files], np.int64).reshape(-1, 2)

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, i: int) -> np.ndarray:
        return resize(read_image(self.root / self.files[i]), self.shape[1])

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, (int, np.integer)):
            return self._read(int(index))
        rows = np.arange(len(self))[index]
        out = np.empty((len(rows), *self.shape[1:]), np.uint8)
        for j, image in enumerate(ordered_map(self._read, rows, workers=self.workers,
                                              ahead=2 * self.workers)):
            out[j] = image
        return out


def _usable_cores() -> int:
    """The cores this process may run on (a cluster job's share, not the node's)."""
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


@POOLS.register("zip")
def image_zip(path: str, size: int, *, seed: int = 0, n_images: int | None = None) -> Pool:
    """Every image in a zip archive, in file-name order, labelled by class folder or wnid
    where the member names say (see :func:`class_labels`).

    Recording datasets ship their stimuli this way; row i of the responses must be
    the i-th image in name order (e.g. Cowley et al. 2023: image0001.jpg ... ).
    """
    import io
    import zipfile

    archive = Path(path)
    names = zip_members(archive, n_images)
    zf = zipfile.ZipFile(archive)  # reads from several threads are safe (a shared, locked file)

    def read(i):
        try:
            with Image.open(io.BytesIO(zf.read(names[i]))) as img:
                return resize(np.asarray(img.convert("RGB")), size)
        except Exception as err:
            raise ValueError(f"cannot read image {names[i]} in {archive}: {err}") from err

    labels, classes = class_labels(names)
    return Pool(Decoded(len(names), size, read, zf.close), labels,
                {"file": np.asarray([Path(n).name for n in names])}, classes=classes)


@POOLS.register("imi_stimuli")
def imi_stimuli(path: str, size: int, seed: int = 0) -> Pool:
    """The IMI catch-trial units' natural exemplars, in the IMI repository's layout
    (:mod:`superposition.catch_trials`), unit by unit: max images by rank, then min."""
    from .catch_trials import stimulus_files

    root = Path(path)
    table = stimulus_files(root)
    files = [root / f for f in table.file]
    labels = [f"{r.unit}/channel_{r.channel}/{r.side}_{r.rank}" for r in table.itertuples()]
    return Pool(Decoded(len(files), size, lambda i: resize(read_image(files[i]), size)),
                labels, {c: table[c].to_numpy() for c in ("unit", "channel", "side", "rank")})


@POOLS.register("cadena2019")
def cadena_images(path: str, size: int, *, seed: int = 0, crop: int | None = 80,
                  image_types: tuple[str, ...] = ("original",)) -> Pool:
    """Stimuli of Cadena et al. 2019: grey images, centre-cropped, resized, tiled to RGB."""
    from .recordings import load_cadena

    data = load_cadena(path, tuple(image_types))
    raw = data["images"].astype(np.float64)
    if raw.max() <= 1.0:
        raw = raw * 255
    if crop:
        h, w = raw.shape[1:3]
        top, left = max(0, (h - crop) // 2), max(0, (w - crop) // 2)
        raw = raw[:, top:top + crop, left:left + crop]
    grey = np.clip(raw, 0, 255).astype(np.uint8)
    images = np.stack([resize(np.repeat(g[..., None], 3, axis=2), size) for g in grey])
    return Pool(images, list(data["types"]), {"index": np.arange(len(images))})


@POOLS.register("nsd")
def nsd_images(path: str, expdesign: str, *, subject: int, sessions: list[int], size: int,
               seed: int = 0, shared_only: bool = True) -> Pool:
    """Stimuli of the Natural Scenes Dataset that a subject saw in some sessions.

    ``path`` is ``nsd_stimuli.hdf5`` (dataset ``imgBrick``: 73,000 x 425 x 425 x 3);
    the images are those of :func:`superposition.recordings.nsd_image_ids`, in
    NSD-id order, recorded as factor ``id``.
    """
    import h5py

    from .recordings import nsd_image_ids

    ids = nsd_image_ids(expdesign, subject, sessions=sessions, shared_only=shared_only)
    with h5py.File(path, "r") as fh:
        brick = fh["imgBrick"]
        images = np.stack([resize(np.asarray(brick[i]), size) for i in ids])
    return Pool(images, [f"nsd{i + 1:05d}" for i in ids], {"id": ids})


CIFAR10_BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}


@POOLS.register("cifar10")
def cifar10(path: str, size: int = 32, *, seed: int = 0, split: str = "train",
            n_images: int | None = None) -> Pool:
    """CIFAR-10 from its python archive (``cifar-10-python.tar.gz``) or the extracted
    ``cifar-10-batches-py`` folder (torchvision's layout), in the dataset's order; or
    from a zip of one split's images in class folders (``<class>/NNNN.jpg``, e.g. a JPEG
    copy), whose file names then decide the order (``split`` is the zip's)."""
    import pickle
    import tarfile

    from .classes import CIFAR10_CLASSES

    source = Path(path)
    if split not in CIFAR10_BATCHES:
        raise ValueError(f"CIFAR-10 split must be train or test, not {split!r}")
    if source.suffix == ".zip":
        pool = image_zip(path, size, seed=seed, n_images=n_images)
        unknown = sorted(set(pool.labels) - set(CIFAR10_CLASSES))
        if pool.classes != "folder" or unknown:
            raise ValueError(f"{path} is no CIFAR-10 zip: its images must sit in the class "
                             f"folders {', '.join(CIFAR10_CLASSES)}"
                             + (f" (found {', '.join(unknown[:3])})" if unknown else ""))
        pool.factors["class"] = np.array([CIFAR10_CLASSES.index(c) for c in pool.labels])
        pool.classes = "cifar10"
        return pool

    def read(name: str) -> dict:
        if source.is_dir():
            with open(source / name, "rb") as fh:
                return pickle.load(fh, encoding="latin1")
        with tarfile.open(source) as tar:
            return pickle.load(tar.extractfile(f"cifar-10-batches-py/{name}"), encoding="latin1")

    if not source.exists():
        raise FileNotFoundError(f"CIFAR-10 not found at {source}; set image_pools.<name>.path "
                                f"(the workflow downloads resources/datasets/cifar10/"
                                f"cifar-10-python.tar.gz)")
    names = read("batches.meta")["label_names"]
    data, labels = [], []
    for batch in CIFAR10_BATCHES[split]:
        b = read(batch)
        data.append(np.asarray(b["data"], np.uint8))
        labels += list(b["labels"])
    images = np.concatenate(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    if n_images is not None:
        images, labels = images[:n_images], labels[:n_images]
    if size != 32:
        images = np.stack([resize(img, size) for img in images])
    return Pool(np.ascontiguousarray(images), [names[i] for i in labels],
                {"class": np.asarray(labels)}, classes="cifar10")
