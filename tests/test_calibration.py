"""Known-answer units: each type's expected value under II, MIS and ii_excess, and checks
that fail for a score built to be wrong."""

import numpy as np
import pandas as pd
import pytest

from superposition.calibration import (EXPECTED, UNIT_TYPES, calibration_table, check,
                                       known_units, neighbourhood_units, photograph_units)
from superposition.images import shapes
from superposition.interpretability import random_baseline, set_ii, top_k
from superposition.lowlevel import BASELINE_DEFAULTS, image_statistics
from superposition.metrics import build_metric
from superposition.probes import PROBES, probe_statistics
from superposition.scoring import design_scores, score_units

MIS = {"n_references": 9, "n_tasks": 20, "quantile": 0.25}
FIRST = BASELINE_DEFAULTS | {"hinges": False, "residuals": "gaussian", "space": "ranks",
                             "folds": 1}
TOLERANCES = {"ii": 0.25, "mis": 0.05}


def test_each_type_is_built_where_the_pool_allows_it(rng):
    stats, probes = rng.normal(size=(400, 4)), rng.normal(size=(400, len(PROBES)))
    groups = np.repeat(np.arange(20), 20)
    labels = np.tile(np.array(["a", "b", "c", "d"]), 100)
    resp, units = known_units(stats, probes, 0, k=5, n_units=24, groups=groups,
                              concepts={"label": labels})
    assert resp.shape == (400, len(units)) and units.unit.is_unique
    assert tuple(EXPECTED) == UNIT_TYPES  # every type states its answers
    counts = units.unit_type.value_counts().to_dict()
    assert counts == {t: 24 for t in
                      ("lowlevel", "probe_lowlevel", "noise", "heavy_noise", "spiky_noise",
                       "heavy_lowlevel", "spiky_lowlevel", "group", "concept",
                       "sparse_concept")}
    sparse = resp[:, (units.unit_type == "sparse_concept").to_numpy()]
    assert ((sparse > 0.1).mean(0) == 20 / 400).all()  # min_active of 400 x 3%
    assert len(np.unique(sparse[:, 0])) == 400  # no ties among the silent images
    concept = units.unit.str.startswith("concept:label=a").to_numpy()
    assert (resp[labels == "a"][:, concept].min() > resp[labels != "a"][:, concept].max())
    photo = units.unit[units.unit_type == "group"].str.split(":").str[1].str.split("#").str[0]
    assert photo.nunique() == 20  # every photograph, four of them twice
    spiky = resp[:, (units.unit_type == "spiky_noise").to_numpy()]
    assert ((spiky > 1).mean(0) < 0.02).all()
    _, alone = known_units(stats, probes, 0, k=5, n_units=12)
    assert "group" not in set(alone.unit_type) and "concept" not in set(alone.unit_type)
    narrow = np.where(np.arange(400) < 30, "x", "rest")  # 7.5% < the 20% a concept needs
    _, few = known_units(stats, probes, 0, k=5, n_units=12, concepts={"label": narrow})
    assert set(few[few.unit_type == "concept"].unit) == {"concept:label=rest"} | {
        f"concept:label=rest#{i}" for i in range(1, 12)}
    assert (few.unit_type == "sparse_concept").sum() == 12


def test_neighbourhood_and_photograph_units(rng):
    points = rng.normal(size=(200, 3))
    groups = np.repeat(np.arange(40), 5)

    def distances(anchors):
        return np.linalg.norm(points[:, None] - points[anchors][None], axis=-1)

    distances.n_images = 200
    resp, units = neighbourhood_units(distances, 0, n_units=6, k=5, groups=groups)
    assert units.unit_type.value_counts().to_dict() == {"neighbourhood": 6,
                                                        "narrow_neighbourhood": 6}
    narrow = resp[:, (units.unit_type == "narrow_neighbourhood").to_numpy()]
    active = narrow > 0.1
    assert (active.sum(0) == 20).all()  # 4k images, one per group
    assert all(len(set(groups[a])) == 20 for a in active.T)
    near = resp[:, 0]  # minus the distance to the anchor: the anchor is its top image
    assert near.argmax() == np.argmin(distances(np.array([near.argmax()]))[:, 0])
    photo, table = photograph_units(groups, 0, n_units=50, k=5)
    assert photo.shape == (200, 50) and set(table.unit_type) == {"one_photograph"}
    assert all(len(set(groups[t])) == 1 for t in top_k(photo, 5))


def test_a_check_passes_only_when_its_whole_ci_shows_the_answer():
    assert check("=", 0, tolerance=0.1, low=-0.05, high=0.08)  # the CI inside the band
    assert not check("=", 0, tolerance=0.1, low=-0.05, high=0.2)  # a CI that only meets the band
    assert not check("=", 0, tolerance=0.1, low=-0.2,
                     high=0.2)  # wider than the band: too few units
    assert not check("=", 0.5, tolerance=0.05, low=0.3, high=0.44)
    assert check(">", 0.5, tolerance=0, low=0.51,
                 high=0.7) and not check(">", 0.5, tolerance=0, low=0.49, high=0.7)


@pytest.fixture(scope="module")
def shapes_scores():
    """Every known-answer unit of a shapes pool, scored under the colour metric with the
    configured shadow and the first design's."""
    pool = shapes(1000, 32, seed=0)
    stats = image_statistics(pool.images)
    metric = build_metric("colour")
    resp, units = known_units(stats, probe_statistics(pool.images), 0, k=5, n_units=400,
                              concepts={"colour": pool.factors["colour"]})
    chance = random_baseline(1000, pool.images, metric=metric, k=5, n_sets=400, seed=0)["ii_pairs"]
    emb = metric.embed(pool.images)

    def distances(anchors):
        return -set_ii(np.stack(np.broadcast_arrays(np.arange(1000)[:, None], anchors[None]),
                                -1).reshape(-1, 2), pool.images, metric=metric,
                       cache=emb)["ii_pairs"].reshape(1000, -1)

    distances.n_images = 1000
    near, near_units = neighbourhood_units(distances, 0, n_units=60, k=5)
    resp, units = np.hstack([resp, near]), pd.concat([units, near_units], ignore_index=True)
    out = units.assign(pool="shapes", metric="colour", chance_sd=chance.std())
    for name, baseline in {"": BASELINE_DEFAULTS, "[first_design]": FIRST}.items():
        design = design_scores(resp, 5, seed=0, mis=MIS, statistics=stats, baseline=baseline)
        scores = score_units(design, pool.images, metric=metric, alpha=None, embeddings=emb)
        out[f"ii_excess{name}"] = scores["ii_excess"]
        if not name:
            out = out.assign(ii=scores["ii_pairs"] - chance.mean(), mis=scores["mis"])
    return out, resp, (pool, stats, metric, emb, chance)


def test_known_units_get_their_known_answers(shapes_scores):
    """Shapes under the colour metric: every chance-level type passes with its whole CI
    in the band; the configured shadow passes the heavy-tailed low-level types, which the
    first design fails far below 0. What fails is what the docs state: low-level units
    keep a positive ii_excess, MIS is blind to concepts narrower than its quantile."""
    units, _, _ = shapes_scores
    table = calibration_table(units, TOLERANCES)
    by = table.set_index(["unit_type", "score"])
    assert {(t, s.split("[")[0]) for t, s in by.index} == {
        (t, s) for t, scores in EXPECTED.items()
        if t not in ("group", "one_photograph") for s in scores}
    for kind in ("noise", "heavy_noise", "spiky_noise"):
        assert by.loc[[(kind, s) for s in ("ii", "mis", "ii_excess")], "passes"].all(), kind
    for kind in ("heavy_lowlevel", "spiky_lowlevel"):
        assert by.loc[(kind, "ii_excess"), "passes"], kind
        first = by.loc[(kind, "ii_excess[first_design]")]
        assert not first.passes and first.ci_high < -0.25 * first.scale, kind
    for kind in ("concept", "neighbourhood", "narrow_neighbourhood", "sparse_concept"):
        assert by.loc[(kind, "ii"), "passes"], kind
    assert by.loc[("concept", "mis"), "ci_low"] > 0.7  # one colour: the sides differ
    assert by.loc[("neighbourhood", "mis"), "ci_low"] > 0.9
    for kind in ("narrow_neighbourhood", "sparse_concept"):  # MIS's blind spot
        assert not by.loc[(kind, "mis"), "passes"] and by.loc[(kind, "mis"), "mean"] < 0.55
    for kind in ("lowlevel", "probe_lowlevel"):  # what the control cannot remove
        assert by.loc[(kind, "ii_excess"), "ci_low"] > 0
    assert np.allclose(table.ci_width, table.ci_high - table.ci_low)


def test_a_score_stuck_at_chance_fails_every_positive_check(shapes_scores):
    """II and MIS that give every unit the chance level pass the chance checks and fail
    every check of a concept, on every type that has one."""
    units, _, _ = shapes_scores
    stuck = units.assign(ii=0.0, mis=0.5)
    table = calibration_table(stuck, TOLERANCES)
    above = table[table.expected.str.startswith(">") & table.score.isin(["ii", "mis"])]
    assert len(above) >= 6 and not above.passes.any()
    chance = table[table.expected.isin(["= 0", "= 0.5"]) & table.score.isin(["ii", "mis"])]
    assert chance.passes.all()


def test_ii_with_the_noise_tail_ignored_fails(shapes_scores):
    """A score that ignores a spiky unit's noise tail (its spikes, the top 1% of its
    responses, set to the median) takes the low-level drive's top images: against the
    unit's own shadow its ii_excess is no longer 0, and the check fails."""
    units, resp, (pool, _, metric, emb, chance) = shapes_scores
    spiky = (units.unit_type == "spiky_lowlevel").to_numpy()
    r = resp[:, spiky]
    tail_ignored = np.where(r > np.percentile(r, 99, axis=0), np.median(r, axis=0), r)
    wrong = set_ii(top_k(tail_ignored, 5), pool.images, metric=metric, cache=emb)["ii_pairs"]
    right = units.ii.to_numpy()[spiky] + chance.mean()
    biased = units.copy()
    biased.loc[spiky, "ii_excess"] += wrong - right
    table = calibration_table(biased, TOLERANCES).set_index(["unit_type", "score"])
    assert calibration_table(units, TOLERANCES).set_index(["unit_type", "score"]).loc[
        ("spiky_lowlevel", "ii_excess"), "passes"]
    assert not table.loc[("spiky_lowlevel", "ii_excess"), "passes"]


def test_a_biased_score_fails_its_check(shapes_scores):
    """The check can fail: shift the noise units' MIS as a squashing alpha or a
    leaking design would."""
    units, _, _ = shapes_scores
    biased = units.assign(mis=np.where(units.unit_type == "noise", units.mis - 0.25,
                                       units.mis))
    table = calibration_table(biased, TOLERANCES)
    before = calibration_table(units, TOLERANCES)
    newly = table[~table.passes & before.passes.to_numpy()]
    assert list(zip(newly.unit_type, newly.score)) == [("noise", "mis")]


def test_photograph_units_score_chance_one_per_group_and_above_it_without():
    """Crops of the bundled photographs: units of one photograph, scored one image per
    photograph, get II at chance and MIS 1/2, as noise units do; scored without one per
    photograph (one_photograph), an II clearly above chance."""
    from superposition.images import photo_crops

    pool = photo_crops(1200, 16, seed=0)
    groups = np.asarray(pool.groups)
    stats = image_statistics(pool.images)
    resp, units = known_units(stats, probe_statistics(pool.images), 0, k=5, n_units=19,
                              groups=groups)
    keep = (units.unit_type == "group").to_numpy()
    resp, units = resp[:, keep], units[keep]
    photo, photo_units = photograph_units(groups, 0, n_units=38, k=5)
    metric = build_metric("colour")
    chance = random_baseline(1200, pool.images, metric=metric, k=5, n_sets=300, seed=0,
                             groups=groups)["ii_pairs"]
    parts = []
    for r, u, g in ((resp, units, groups), (photo, photo_units, None)):
        design = design_scores(r, 5, seed=0, mis=MIS, statistics=stats, baseline=BASELINE_DEFAULTS,
                               groups=g, pool_groups=groups)
        scores = score_units(design, pool.images, metric=metric, alpha=None)
        parts.append(u.assign(pool="photos", metric="colour",
                              ii=scores["ii_pairs"] - chance.mean(), mis=scores["mis"],
                              ii_excess=scores["ii_excess"], chance_sd=chance.std()))
    table = calibration_table(pd.concat(parts), {"ii": 0.5, "mis": 0.1})
    group = table[table.unit_type == "group"].set_index("score")
    assert set(group.index) == {"ii", "mis", "ii_excess"}
    assert abs(group.loc["mis", "mean"] - 0.5) < 0.06
    assert (group.ci_low < 0.5 * group.scale).all()
    photo = table[table.unit_type == "one_photograph"].set_index("score")
    assert photo.loc["ii", "passes"] and photo.loc["ii", "ci_low"] > photo.loc["ii", "scale"]
    # one photograph is 1/19 of the pool, far less than MIS's quantile (1/4): blind to it
    assert not photo.loc["mis", "passes"] and photo.loc["mis", "mean"] < 0.55
