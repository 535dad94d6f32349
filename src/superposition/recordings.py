"""Recorded neural responses -> the (image x unit) contract.

Each adapter reads one dataset format and returns the responses with one row per
image of the dataset's stimulus pool, in the pool's order. Preprocessing
(z-scoring, dropping silent units) is shared by all adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .registry import Registry

ADAPTERS: Registry = Registry("brain dataset adapter")


@dataclass
class Recording:
    responses: np.ndarray  # images x units
    units: list[str]
    info: dict = field(default_factory=dict)
    image_ids: np.ndarray | None = None  # dataset ids of the rows, checked against the pool


@ADAPTERS.register("npy")
def npy_matrix(path: str, layout: str = "units_by_images", area: str = "unit") -> Recording:
    """A response matrix saved with numpy (.npy), units x images or images x units.

    The format of Cowley et al. 2023 (``responses_<session>.npy``: neurons x images,
    repeat-averaged spike counts per 100 ms).
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"response file {file} does not exist; set brain.<name>.path")
    data = np.load(file, allow_pickle=False).astype(np.float64)
    if data.ndim != 2:
        raise ValueError(f"{file} holds a {data.ndim}-D array; expected a 2-D response matrix")
    if layout == "units_by_images":
        data = data.T
    elif layout != "images_by_units":
        raise ValueError(f"layout must be units_by_images or images_by_units, not {layout!r}")
    return Recording(data, [f"{area}:{i}" for i in range(data.shape[1])],
                     {"file": str(file), "layout": layout})


def nonfinite_places(x: np.ndarray, units: list[str], shown: int = 5) -> str:
    """Where an (image x unit) matrix holds NaN or inf: how many, in which units and
    which images (rows, counted from 0)."""
    bad = ~np.isfinite(x)

    def listed(items):
        items = [str(i) for i in items]
        return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown
                                           else "")

    cols, rows = np.flatnonzero(bad.any(0)), np.flatnonzero(bad.any(1))
    return (f"{int(bad.sum())} NaN/inf values, in units {listed(units[c] for c in cols)} "
            f"and images {listed(rows)}")


def preprocess(rec: Recording, n_images: int, pool: str, zscore: bool = False,
               min_std: float = 0.0, pool_ids: np.ndarray | None = None) -> Recording:
    """Check the rows match the pool, drop flat units, optionally z-score."""
    n_rows = rec.responses.shape[0]
    what = f"the response matrix {rec.info['file']}" if "file" in rec.info else "the responses"
    if n_rows != n_images:
        raise ValueError(f"{what} has {n_rows} images but the image pool {pool} has "
                         f"{n_images}: they must be the same stimuli in the same order (check "
                         f"the layout setting and the pool's path)")
    if rec.image_ids is not None and pool_ids is not None:
        wrong = np.flatnonzero(np.asarray(rec.image_ids) != np.asarray(pool_ids))
        if len(wrong):
            raise ValueError(f"row {wrong[0]} of the responses is image {rec.image_ids[wrong[0]]} "
                             f"but pool {pool} has image {pool_ids[wrong[0]]} there: the pool "
                             f"and the dataset select different images")
    x = rec.responses
    if not np.isfinite(x).all():
        raise ValueError(f"{what} holds {nonfinite_places(x, rec.units)}; average repeats "
                         f"with a NaN-aware mean (or drop those units) before ingesting")
    std = x.std(axis=0)
    keep = std > min_std
    x = x[:, keep]
    if zscore:
        x = (x - x.mean(0)) / x.std(0)
    units = [u for u, k in zip(rec.units, keep) if k]
    return Recording(x, units, rec.info | {"zscore": zscore, "dropped_units":
                                           [u for u, k in zip(rec.units, keep) if not k]},
                     rec.image_ids)


def load_cadena(path: str, image_types: tuple[str, ...] = ("original",)) -> dict:
    """The pickle of Cadena et al. 2019 (macaque V1), restricted to some image types.

    Keys used: ``images`` (images x H x W, grey), ``responses`` (repeats x images x
    units, NaN where a repeat is missing) and ``image_types`` (one label per image).
    """
    import pickle

    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"Cadena 2019 pickle {file} does not exist; set its path")
    with open(file, "rb") as fh:
        data = pickle.load(fh)
    missing = {"images", "responses", "image_types"} - set(data)
    if missing:
        raise ValueError(f"{file} lacks {sorted(missing)}: not the Cadena et al. 2019 pickle")
    types = np.asarray(data["image_types"]).astype(str).ravel()
    keep = np.isin(types, list(image_types))
    if not keep.any():
        raise ValueError(f"no images of types {list(image_types)} in {file}; it has "
                         f"{sorted(set(types))}")
    responses = np.asarray(data["responses"], dtype=np.float64)
    if responses.ndim != 3 or responses.shape[1] != len(types):
        raise ValueError(f"responses of shape {responses.shape} do not match {len(types)} images "
                         f"(expected repeats x images x units)")
    return {"images": np.asarray(data["images"])[keep], "responses": responses[:, keep],
            "types": types[keep]}


def split_half_reliability(responses: np.ndarray) -> np.ndarray:
    """Per unit: correlation across images of the mean of odd vs even repeats."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pairs with no valid repeat -> NaN
        a = np.nanmean(responses[0::2], axis=0)
        b = np.nanmean(responses[1::2], axis=0)
    out = np.empty(responses.shape[2])
    for u in range(len(out)):
        ok = np.isfinite(a[:, u]) & np.isfinite(b[:, u])
        out[u] = np.corrcoef(a[ok, u], b[ok, u])[0, 1] if ok.sum() > 2 else np.nan
    return out


@ADAPTERS.register("cadena2019")
def cadena2019(path: str, area: str = "V1", *, image_types: tuple[str, ...] = ("original",),
               min_repeats: int = 2, min_reliability: float | None = None) -> Recording:
    """Macaque V1 (Cadena et al. 2019): average the valid repeats of every image.

    Image-unit pairs with fewer than ``min_repeats`` valid repeats are filled with
    the unit's mean over its valid images (they then never reach a unit's top-k);
    units whose split-half reliability is below ``min_reliability`` are dropped.
    """
    import warnings

    data = load_cadena(path, tuple(image_types))
    r = data["responses"]
    valid = np.isfinite(r).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices are handled below
        mean = np.nanmean(r, axis=0)
    mean[valid < min_repeats] = np.nan
    filled = int(np.isnan(mean).sum())
    unit_mean = np.nanmean(mean, axis=0)
    mean = np.where(np.isnan(mean), unit_mean[None], mean)
    reliability = split_half_reliability(r)
    keep = np.ones(r.shape[2], bool) if min_reliability is None else reliability >= min_reliability
    if not keep.any():
        raise ValueError(f"no unit reaches split-half reliability {min_reliability}")
    units = [f"{area}:{i}" for i in np.flatnonzero(keep)]
    return Recording(mean[:, keep], units,
                     {"file": str(path), "image_types": list(image_types),
                      "min_repeats": min_repeats, "filled_pairs": filled,
                      "reliability": reliability[keep].round(4).tolist(),
                      "dropped_unreliable": int((~keep).sum())})


NSD_TRIALS_PER_SESSION = 750


def nsd_trial_images(expdesign: str, subject: int, sessions: list[int]) -> np.ndarray:
    """0-based NSD image id (row of ``imgBrick``) of every trial of these sessions.

    ``nsd_expdesign.mat``: ``masterordering`` (trial -> 1-based index into the
    subject's 10,000 images) and ``subjectim`` (8 x 10,000 1-based NSD ids).
    """
    from scipy.io import loadmat

    design = loadmat(expdesign)
    order = np.asarray(design["masterordering"]).ravel().astype(int) - 1
    subject_images = np.asarray(design["subjectim"])[subject - 1].astype(int) - 1
    trials = np.concatenate([np.arange((s - 1) * NSD_TRIALS_PER_SESSION,
                                       s * NSD_TRIALS_PER_SESSION) for s in sessions])
    if trials.max() >= len(order):
        raise ValueError(f"{expdesign} has {len(order)} trials, fewer than sessions {sessions} need")
    return subject_images[order[trials]]


def nsd_image_ids(expdesign: str, subject: int, *, sessions: list[int],
                  shared_only: bool) -> np.ndarray:
    """Sorted NSD ids of the images the subject saw in these sessions (optionally only
    the 1,000 shown to every subject, ``sharedix``)."""
    from scipy.io import loadmat

    ids = np.unique(nsd_trial_images(expdesign, subject, sessions))
    if shared_only:
        shared = np.asarray(loadmat(expdesign)["sharedix"]).ravel().astype(int) - 1
        ids = ids[np.isin(ids, shared)]
    if not len(ids):
        raise ValueError(f"no images for subject {subject} in sessions {sessions}"
                         + (" among the shared 1,000" if shared_only else ""))
    return ids


@ADAPTERS.register("nsd")
def nsd(path: str, expdesign: str, *, roi: str, subject: int, sessions: list[int],
        area: str = "roi", roi_labels: list[int] = (1,), shared_only: bool = True,
        zscore_sessions: bool = True, chunk: int = 50) -> Recording:
    """Natural Scenes Dataset (Allen et al. 2022): voxels of an ROI as units.

    ``path``: the folder of ``betas_sessionNN.hdf5`` (dataset ``betas``: trials x Z x
    Y x X, int16 = percent signal change x 300); ``roi``: a NIfTI label volume (X x
    Y x Z) in the same space (e.g. ``prf-visualrois.nii.gz``, hV4 = 7, or
    ``nsdgeneral.nii.gz``, 1). Betas are z-scored per session and voxel, then
    averaged over the repeats of each image.
    """
    import h5py
    import nibabel

    labels = np.asarray(nibabel.load(roi).get_fdata()).astype(int)
    mask = np.isin(labels, list(roi_labels)).transpose(2, 1, 0)  # NIfTI XYZ -> HDF5 ZYX
    if not mask.any():
        raise ValueError(f"no voxel of {roi} has a label in {list(roi_labels)}")
    trial_ids = nsd_trial_images(expdesign, subject, sessions)
    parts = []
    for s in sessions:
        file = Path(path) / f"betas_session{s:02d}.hdf5"
        if not file.is_file():
            raise FileNotFoundError(f"NSD betas {file} do not exist; check brain.<name>.path "
                                    f"and sessions")
        with h5py.File(file, "r") as fh:
            betas = fh["betas"]
            if betas.shape[1:] != mask.shape:
                raise ValueError(f"{file} betas have volume {betas.shape[1:]} but the ROI "
                                 f"{roi} has {mask.shape} (Z, Y, X): not the same space")
            vox = np.concatenate([betas[t:t + chunk][:, mask].astype(np.float64) / 300
                                  for t in range(0, betas.shape[0], chunk)])
        if zscore_sessions:
            vox = (vox - vox.mean(0)) / np.where(vox.std(0) > 0, vox.std(0), 1)
        parts.append(vox)
    trials = np.concatenate(parts)
    ids = nsd_image_ids(expdesign, subject, sessions=sessions, shared_only=shared_only)
    responses = np.stack([trials[trial_ids == i].mean(0) for i in ids])
    repeats = np.array([(trial_ids == i).sum() for i in ids])
    return Recording(responses, [f"{area}:{v}" for v in range(mask.sum())],
                     {"subject": subject, "sessions": list(sessions), "roi": str(roi),
                      "roi_labels": list(roi_labels), "n_voxels": int(mask.sum()),
                      "mean_repeats": float(repeats.mean()), "zscore_sessions": zscore_sessions},
                     image_ids=ids)
