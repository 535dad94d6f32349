"""Known-answer units: each type's expected value under II, MIS and ii_excess."""

import numpy as np
import pandas as pd
import pytest

from superposition.calibration import EXPECTED, calibration_table, check, known_units
from superposition.images import shapes
from superposition.interpretability import random_baseline
from superposition.lowlevel import image_statistics
from superposition.metrics import build_metric
from superposition.scoring import design_scores, score_units


def test_each_type_is_built_where_the_pool_allows_it(rng):
    stats = rng.normal(size=(400, 4))
    groups = np.repeat(np.arange(20), 20)
    labels = np.tile(np.array(["a", "b", "c", "d"]), 100)
    resp, units = known_units(stats, 0, k=5, n_units=12, groups=groups,
                              concepts={"label": labels})
    assert resp.shape == (400, len(units)) and units.unit.is_unique
    counts = units.unit_type.value_counts()
    assert counts.to_dict() == {"lowlevel": 12, "noise": 12, "group": 12, "concept": 12,
                                "sparse_concept": 12}
    sparse = resp[:, (units.unit_type == "sparse_concept").to_numpy()]
    assert ((sparse > 0).mean(0) == 20 / 400).all()  # min_active of 400 x 3%
    concept = units.unit.str.startswith("concept:label=a").to_numpy()
    assert (resp[labels == "a"][:, concept].min() > resp[labels != "a"][:, concept].max())
    _, alone = known_units(stats, 0, 5, 12)
    assert set(alone.unit_type) == {"lowlevel", "noise"}  # no groups, no concepts
    narrow = np.where(np.arange(400) < 30, "x", "rest")  # 7.5% < the 20% a concept needs
    _, few = known_units(stats, 0, 5, 12, concepts={"label": narrow})
    assert set(few[few.unit_type == "concept"].unit) == {"concept:label=rest"} | {
        f"concept:label=rest#{i}" for i in range(1, 12)}
    assert (few.unit_type == "sparse_concept").sum() == 12


def test_a_check_passes_unless_its_ci_shows_the_bias():
    assert check("=", 0, 0.1, -0.05, 0.2)  # the CI meets the band
    assert not check("=", 0, 0.1, 0.15, 0.3)  # a bias beyond the tolerance, shown
    assert not check("=", 0.5, 0.05, 0.3, 0.44)
    assert check(">", 0.5, 0, 0.51, 0.7) and not check(">", 0.5, 0, 0.49, 0.7)


@pytest.fixture(scope="module")
def shapes_scores():
    """Every known-answer unit of a small shapes pool, scored under the colour metric."""
    pool = shapes(600, 32, seed=0)
    stats = image_statistics(pool.images)
    resp, units = known_units(stats, 0, 5, 48,
                              concepts={"colour": pool.factors["colour"]})
    metric = build_metric("colour")
    mis = {"n_references": 9, "n_tasks": 20, "quantile": 0.25}
    design = design_scores(resp, 5, 0, mis, stats, {"n_sets": 10, "degree": 2})
    scores = score_units(design, pool.images, metric, None)
    chance = random_baseline(600, pool.images, metric, 5, 300, seed=0)["ii_pairs"]
    units = units.assign(pool="shapes", metric="colour", ii=scores["ii_pairs"] - chance.mean(),
                         mis=scores["mis"], ii_excess=scores["ii_excess"],
                         chance_sd=chance.std())
    return units, chance.std()


def test_known_units_get_their_known_answers(shapes_scores):
    units, sd = shapes_scores
    table = calibration_table(units, {"ii": 0.25, "mis": 0.05})
    by = table.set_index(["unit_type", "score"])
    assert set(by.index) == {(t, s) for t, scores in EXPECTED.items() if t != "group"
                             for s in scores}
    assert by.passes.all(), table[~table.passes]
    assert abs(by.loc[("noise", "mis"), "mean"] - 0.5) < 0.05
    assert by.loc[("concept", "mis"), "ci_low"] > 0.6  # one colour: the sides differ
    assert by.loc[("sparse_concept", "mis"), "ci_low"] > 0.6
    assert abs(by.loc[("lowlevel", "ii_excess"), "mean"]) < 0.25 * sd


def test_a_biased_score_fails_its_check(shapes_scores):
    """The check can fail: shift the noise units' MIS as a squashing alpha or a
    leaking design would."""
    units, sd = shapes_scores
    biased = units.assign(mis=np.where(units.unit_type == "noise", units.mis - 0.25,
                                       units.mis))
    table = calibration_table(biased, {"ii": 0.25, "mis": 0.05})
    failing = table[~table.passes]
    assert list(zip(failing.unit_type, failing.score)) == [("noise", "mis")]
    assert isinstance(failing, pd.DataFrame)


def test_photograph_units_score_chance_one_per_group():
    """Crops of the bundled photographs: units of one photograph, scored one image per
    photograph, get II at chance, MIS 1/2 and ii_excess 0, as noise units do."""
    from superposition.images import photo_crops

    pool = photo_crops(600, 16, seed=0)
    groups = np.asarray(pool.groups)
    stats = image_statistics(pool.images)
    resp, units = known_units(stats, 0, 5, 19, groups=groups)
    metric = build_metric("colour")
    mis = {"n_references": 9, "n_tasks": 20, "quantile": 0.25}
    design = design_scores(resp, 5, 0, mis, stats, {"n_sets": 10, "degree": 2}, groups)
    scores = score_units(design, pool.images, metric, None)
    chance = random_baseline(600, pool.images, metric, 5, 300, seed=0, groups=groups)["ii_pairs"]
    units = units.assign(pool="photos", metric="colour", ii=scores["ii_pairs"] - chance.mean(),
                         mis=scores["mis"], ii_excess=scores["ii_excess"],
                         chance_sd=chance.std())
    table = calibration_table(units, {"ii": 0.25, "mis": 0.05})
    group = table[table.unit_type == "group"].set_index("score")
    assert set(group.index) == {"ii", "mis", "ii_excess"}
    assert group.passes.all(), group
    assert abs(group.loc["mis", "mean"] - 0.5) < 0.06
