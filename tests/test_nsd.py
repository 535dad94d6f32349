"""Natural Scenes Dataset adapter on fixtures in NSD's file layout, made here:
nsd_stimuli.hdf5 (imgBrick), nsd_expdesign.mat (masterordering, subjectim,
sharedix), betas_sessionNN.hdf5 (betas: 750 trials x Z x Y x X, int16 x 300) and
a NIfTI ROI label volume (X x Y x Z)."""

import h5py
import nibabel
import numpy as np
import pytest
import yaml
from scipy.io import savemat

from superposition.images import nsd_images
from superposition.recordings import nsd, nsd_image_ids, preprocess
from runs import ROOT, snakemake

Z, Y, X = 3, 4, 5
N_IMAGES = 40


@pytest.fixture
def nsd_files(tmp_path, rng):
    with h5py.File(tmp_path / "nsd_stimuli.hdf5", "w") as fh:
        levels = (np.arange(N_IMAGES) * 6).astype(np.uint8)
        fh["imgBrick"] = np.broadcast_to(levels[:, None, None, None], (N_IMAGES, 24, 24, 3))
    subjectim = np.tile(np.arange(1, N_IMAGES + 1), (8, 250))  # 8 x 10,000 NSD ids, 1-based
    order = rng.integers(1, 31, 30000)  # trials -> subject image 1..30
    savemat(tmp_path / "nsd_expdesign.mat", {
        "masterordering": order[None].astype(float), "subjectim": subjectim.astype(float),
        "sharedix": np.arange(1, 21)[None].astype(float)})
    weights = rng.normal(size=(N_IMAGES, Z, Y, X))
    trial_ids = subjectim[0, order - 1] - 1
    betas_dir = tmp_path / "betas"
    betas_dir.mkdir()
    for s in (1, 2):
        ids = trial_ids[(s - 1) * 750:s * 750]
        vol = weights[ids] + 0.1 * rng.normal(size=(750, Z, Y, X)) + s  # session offset
        with h5py.File(betas_dir / f"betas_session{s:02d}.hdf5", "w") as fh:
            fh["betas"] = np.round(vol * 300).astype(np.int16)
    labels = np.zeros((X, Y, Z))
    labels[0, :, 1] = 7  # 4 voxels of "hV4"
    labels[2, 1, :] = 7  # 3 more
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "roi.nii.gz")
    return tmp_path, weights, trial_ids, labels


def test_image_ids_follow_the_experimental_design(nsd_files):
    path, _, trial_ids, _ = nsd_files
    ids = nsd_image_ids(str(path / "nsd_expdesign.mat"), 1, sessions=[1, 2], shared_only=False)
    np.testing.assert_array_equal(ids, np.unique(trial_ids[:1500]))
    shared = nsd_image_ids(str(path / "nsd_expdesign.mat"), 1, sessions=[1, 2], shared_only=True)
    assert shared.max() < 20 and set(shared) <= set(ids)


def test_roi_voxels_are_averaged_over_repeats_after_session_zscoring(nsd_files):
    path, weights, trial_ids, labels = nsd_files
    rec = nsd(str(path / "betas"), str(path / "nsd_expdesign.mat"), roi=str(path / "roi.nii.gz"),
              subject=1, sessions=[1, 2], area="hV4", roi_labels=[7], shared_only=False)
    mask = (labels == 7).transpose(2, 1, 0)
    assert rec.responses.shape == (len(rec.image_ids), 7)
    # independent recomputation: z-score each session's ROI betas, average per image
    parts = []
    for s in (1, 2):
        with h5py.File(path / f"betas/betas_session{s:02d}.hdf5") as fh:
            v = fh["betas"][:][:, mask] / 300
        parts.append((v - v.mean(0)) / v.std(0))
    trials, ids = np.concatenate(parts), trial_ids[:1500]
    expected = np.stack([trials[ids == i].mean(0) for i in rec.image_ids])
    np.testing.assert_allclose(rec.responses, expected, rtol=1e-10)
    # the voxels carry the planted image weights
    r = np.corrcoef(rec.responses[:, 0], weights[rec.image_ids][:, mask][:, 0])[0, 1]
    assert r > 0.9


def test_pool_and_responses_must_select_the_same_images(nsd_files):
    path, _, _, _ = nsd_files
    kw = dict(expdesign=str(path / "nsd_expdesign.mat"), subject=1)
    pool = nsd_images(str(path / "nsd_stimuli.hdf5"), sessions=[1, 2], size=16, **kw)
    rec = nsd(str(path / "betas"), roi=str(path / "roi.nii.gz"), sessions=[1, 2],
              roi_labels=[7], **kw)
    assert pool.images.shape[0] == len(rec.image_ids)
    assert pool.labels[0] == f"nsd{rec.image_ids[0] + 1:05d}"
    assert abs(int(pool.images[0, 8, 8, 0]) - 6 * rec.image_ids[0]) <= 2
    preprocess(rec, len(pool.images), "nsd", pool_ids=pool.factors["id"])  # matching: fine
    shifted = pool.factors["id"].copy()
    shifted[3] += 1
    with pytest.raises(ValueError, match="row 3 of the responses is image"):
        preprocess(rec, len(pool.images), "nsd", pool_ids=shifted)


def test_betas_in_another_space_than_the_roi_are_refused(nsd_files):
    path, _, _, _ = nsd_files
    nibabel.save(nibabel.Nifti1Image(np.ones((X + 1, Y, Z)), np.eye(4)), path / "bad.nii.gz")
    with pytest.raises(ValueError, match="not the same space"):
        nsd(str(path / "betas"), str(path / "nsd_expdesign.mat"), roi=str(path / "bad.nii.gz"),
            subject=1, sessions=[1])


@pytest.mark.workflow(seconds=20)
def test_nsd_runs_through_the_workflow(nsd_files, tmp_path):
    path, _, _, _ = nsd_files
    cfg = yaml.safe_load((ROOT / "tests/data/config.yaml").read_text())
    cfg["models"] = {}
    common = {"expdesign": str(path / "nsd_expdesign.mat"), "subject": 1, "sessions": [1, 2]}
    cfg["image_pools"] = {"nsd1": {"kind": "nsd", "path": str(path / "nsd_stimuli.hdf5"),
                                   "size": 16, **common}}
    cfg["brain"] = {"nsd1": {"adapter": "nsd", "path": str(path / "betas"), "pool": "nsd1",
                             "area": "hV4", "roi": str(path / "roi.nii.gz"), "roi_labels": [7],
                             **common}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake("results/directions/nsd1/hV4/kmeans.zarr", "--cores", 2,
                    "-d", tmp_path / "run", "--configfile", tmp_path / "config.yaml")
    assert out.returncode == 0, out.stderr[-3000:]
