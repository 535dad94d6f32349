"""The IMI validation branch on a miniature release in the published layout; every
statistic is recomputed here by an independent route."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import stats
from sklearn.metrics import roc_auc_score

from imi_fixture import write_imi_fixture
from superposition import imi
from superposition.pipeline.imi import imi_evidence, imi_stimuli, imi_trials, imi_validation
from superposition.images import resize_centre_crop
from superposition.settings import Imi


MIS_ALPHA = 2.0


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return write_imi_fixture(tmp_path_factory.mktemp("imi"))


@pytest.fixture(scope="module")
def run(release, tmp_path_factory):
    """The branch's steps on the fixture, as the workflow calls them."""
    out = tmp_path_factory.mktemp("results")
    paths = {k: str(v) for k, v in release.items()}
    p = {name: str(out / name) for name in
         ("trials.csv", "stimuli.zarr", "evidence.csv", "ii.csv", "trial_stats.csv",
          "unit_stats.csv", "units.csv", "models.csv")}
    settings = Imi(paths["responses"], paths["file_map"], paths["imagenet_root"], size=48,
                   n_boot=200, n_splits=30)
    imi_trials(settings, p["trials.csv"])
    imi_stimuli(p["trials.csv"], imi=settings, out=p["stimuli.zarr"])
    imi_evidence(p["trials.csv"], stimuli=p["stimuli.zarr"], metric="pixel", weights={},
                 imi=settings, device="cpu", out_sets=p["evidence.csv"], out_units=p["ii.csv"])
    imi_validation(p["trials.csv"], evidence=[p["evidence.csv"]], unit_ii=[p["ii.csv"]],
                   imi=settings, seed=0, mis_alpha=MIS_ALPHA, out_trials=p["trial_stats.csv"],
                   out_units=p["unit_stats.csv"], out_unit_table=p["units.csv"],
                   out_models=p["models.csv"])
    return p


def test_the_fixture_has_the_published_columns(release):
    raw = pd.read_csv(release["responses"])
    assert list(raw.columns) == imi.COLUMNS and len(imi.COLUMNS) == 45


def test_filters_drop_demo_catch_failed_repeat_and_other_modes(release):
    trials, counts = imi.load_trials(release["responses"], modes=["natural"])
    raw = pd.read_csv(release["responses"])
    assert counts["rows"] == len(raw)
    assert counts["demo_or_catch"] == int((raw.is_demo | raw.catch_trial).sum())
    assert set(trials.participant_id) == {f"worker_{p}" for p in range(2, 12)}  # 0 failed, 1 repeat
    # a rater is one response to one task (here: each worker did one task per model)
    assert trials.rater.nunique() == 10 * len(trials.model.unique())
    assert (trials["mode"] == "natural").all() and len(trials) == counts["trials"] == 10 * 12 * 2
    assert trials.layer_group[trials.layer == "layer3_4_conv1"].unique().tolist() == ["layer3"]
    # the line numbers point back into the CSV
    line = trials.row.iloc[5]
    assert raw.iloc[line - 2].participant_id == trials.participant_id.iloc[5]


@pytest.mark.parametrize("column, value, message", [
    ("correct", "maybe", "column 'correct' is 'maybe'"),
    ("confidence", 7, "column 'confidence' is"),
    ("channel", "abc", "column 'channel' is 'abc'"),
])
def test_malformed_csv_names_the_line_and_column(release, tmp_path, column, value, message):
    raw = pd.read_csv(release["responses"])
    target = int(np.flatnonzero(~(raw.is_demo | raw.catch_trial) & raw.passed_checks
                                & ~raw.multi_participation)[3])
    raw[column] = raw[column].astype(object)
    raw.loc[target, column] = value
    bad = tmp_path / "responses_main.csv"
    raw.to_csv(bad, index=False)
    with pytest.raises(imi.IMIFormatError, match=f"line {target + 2}: {message}"):
        imi.load_trials(bad)


def test_missing_columns_and_unit_are_named(release, tmp_path):
    raw = pd.read_csv(release["responses"]).drop(columns=["confidence"])
    raw.to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(imi.IMIFormatError, match=r"lacks the IMI columns \['confidence'\]"):
        imi.load_trials(tmp_path / "r.csv")
    mapping = json.loads(Path(release["file_map"]).read_text())
    del mapping["resnet50"]["layer2_1_conv2/channel_17"]
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    with pytest.raises(imi.IMIFormatError, match=r"no .*layer2_1_conv2/channel_17.* line \d+"):
        imi_trials(Imi(str(release["responses"]), str(tmp_path / "map.json"), "unused"),
                   str(tmp_path / "t.csv"))


def test_missing_image_names_the_file_before_decoding_any(release, run, tmp_path):
    trials = pd.read_csv(run["trials.csv"])
    mapping = json.loads(Path(release["file_map"]).read_text())
    first = mapping[trials.model[0]][f"{trials.layer[0]}/channel_{trials.channel[0]}"]
    first[f"batch_{trials.batch[0]}"]["min_4.png"] = "n09999999/n09999999_1.JPEG"
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    with pytest.raises(FileNotFoundError, match="n09999999/n09999999_1.JPEG.*imagenet_root"):
        imi_stimuli(run["trials.csv"], imi=Imi("unused", str(tmp_path / "map.json"),
                                           str(release["imagenet_root"]), size=32),
                    out=str(tmp_path / "s.zarr"))


def _pixel_image(root, rel, size=48):
    with Image.open(Path(root) / rel) as img:
        x = resize_centre_crop(np.asarray(img.convert("RGB")))
    return np.asarray(Image.fromarray(x).resize((size, size), Image.Resampling.BICUBIC),
                      float) / 255


def test_evidence_matches_eq_2_3_computed_by_hand(release, run):
    """Max-pooled similarity to each side's references, from pixels, in plain numpy."""
    sets = pd.read_csv(run["evidence.csv"])
    mapping = json.loads(Path(release["file_map"]).read_text())
    for s in sets.sample(4, random_state=0).itertuples():
        batch = mapping[s.model][f"{s.layer}/channel_{s.channel}"][f"batch_{s.batch}"]
        img = {name: _pixel_image(release["imagenet_root"], batch[name]) for name in batch}

        def sim(a, b):
            return -np.mean((img[a] - img[b]) ** 2)

        qp, qn = "max_9.png", "min_9.png"
        refs_max = [f"max_{i}.png" for i in range(9)]
        refs_min = [f"min_{i}.png" for i in range(9)]
        e0 = max(sim(qp, r) for r in refs_max) + max(sim(qn, r) for r in refs_min)
        e1 = max(sim(qn, r) for r in refs_max) + max(sim(qp, r) for r in refs_min)
        assert s.evidence_all == pytest.approx(e0 - e1, rel=1e-4, abs=1e-7)
        top = max(sim(qp, r) for r in refs_max) - max(sim(qn, r) for r in refs_max)
        assert s.evidence_max_side == pytest.approx(top, rel=1e-4, abs=1e-7)
        mean = np.mean  # the MIS observer's delta pools by the mean
        delta = ((mean([sim(qp, r) for r in refs_max]) - mean([sim(qp, r) for r in refs_min]))
                 - (mean([sim(qn, r) for r in refs_max]) - mean([sim(qn, r) for r in refs_min])))
        assert s.evidence_mis == pytest.approx(delta, rel=1e-4, abs=1e-7)


def test_trial_statistics_match_sklearn_and_numpy(run):
    trials = pd.read_csv(run["trials.csv"])
    ev = pd.read_csv(run["evidence.csv"])
    merged = trials.merge(ev, on=["model", "layer", "channel", "batch"])
    table = pd.read_csv(run["trial_stats.csv"])
    for model, group, conf in (("all", "all", "all"), ("resnet50", "layer2", "all"),
                               ("all", "all", "3"), ("googlenet", "all", "1")):
        sub = merged
        if model != "all":
            sub = sub[sub.model == model]
        if group != "all":
            sub = sub[sub.layer_group_x == group]
        if conf != "all":
            sub = sub[sub.confidence == int(conf)]
        row = table[(table.model == model) & (table.layer_group == group)
                    & (table.confidence.astype(str) == conf)].iloc[0]
        assert row.n_trials == len(sub)
        assert row.auc == pytest.approx(roc_auc_score(sub.correct, sub.evidence_all))
        assert row.pearson_r == pytest.approx(np.corrcoef(sub.evidence_all, sub.correct)[0, 1])
        assert row.human_accuracy == pytest.approx(sub.correct.mean())
    # the fixture's humans are right more often on clean units, as is the evidence
    overall = table[(table.model == "all") & (table.layer_group == "all")
                    & (table.confidence.astype(str) == "all")].iloc[0]
    assert overall.auc > 0.55


def test_roc_auc_counts_ties_as_half():
    score = np.array([0.1, 0.4, 0.4, 0.8, 0.2, 0.4])
    label = np.array([0, 1, 0, 1, 1, 0])
    pos, neg = score[label == 1], score[label == 0]
    pairs = [(p > n) + 0.5 * (p == n) for p in pos for n in neg]
    assert imi.roc_auc(score, label) == pytest.approx(np.mean(pairs))
    assert np.isnan(imi.roc_auc(score, np.ones(6)))


def test_unit_statistics_match_scipy(release, run):
    trials = pd.read_csv(run["trials.csv"])
    units = pd.read_csv(run["units.csv"])
    human = trials.groupby(["model", "layer", "channel"]).correct.mean()
    assert np.allclose(units.set_index(["model", "layer", "channel"]).human_score
                       .loc[human.index], human)
    table = pd.read_csv(run["unit_stats.csv"])
    for model in ("all", "resnet50"):
        sub = units if model == "all" else units[units.model == model]
        row = table[(table.model == model) & (table.predictor == "ii:pixel")].iloc[0]
        assert row.spearman == pytest.approx(stats.spearmanr(sub["ii:pixel"],
                                                             sub.human_score).statistic)
        assert row.ci_low <= row.spearman <= row.ci_high
        assert 0 < row.ceiling <= 1


def test_unit_ii_uses_the_top_bin_exemplars(release, run):
    """II of a unit: -mean pairwise pixel distance of max_8 of its first k batches."""
    ii = pd.read_csv(run["ii.csv"])
    mapping = json.loads(Path(release["file_map"]).read_text())
    u = ii.iloc[2]
    batches = mapping[u.model][f"{u.layer}/channel_{u.channel}"]
    files = [batches[f"batch_{b}"]["max_8.png"] for b in range(5)]
    assert u.files.split() == files
    x = [_pixel_image(release["imagenet_root"], f) for f in files]
    d = [np.mean((a - b) ** 2) for i, a in enumerate(x) for j, b in enumerate(x) if i != j]
    assert u.ii == pytest.approx(-np.mean(d), rel=1e-4)


def test_split_half_ceiling_is_high_for_consistent_humans_and_low_for_coin_flips():
    rng = np.random.default_rng(0)
    units = [("m", f"l{u}", 0) for u in range(30)]
    p_unit = np.linspace(0.1, 0.95, 30)
    rows = []
    for person in range(40):
        for (m, layer, c), p in zip(units, p_unit):
            rows.append({"model": m, "layer": layer, "channel": c, "rater": person,
                         "correct": int(rng.random() < p)})
    consistent = pd.DataFrame(rows)
    flips = consistent.assign(correct=rng.integers(0, 2, len(consistent)))
    high = imi.split_half_ceiling(consistent, 20, 0)
    low = imi.split_half_ceiling(flips, 20, 0)
    assert high["reliability"] > 0.9 and high["ceiling"] == pytest.approx(
        np.sqrt(high["reliability"]))
    assert low["split_half_rho"] < 0.3


@pytest.mark.workflow(seconds=50)
def test_workflow_downloads_the_release_and_draws_fig_2(release, tmp_path):
    """The IMI branch as users run it: the two files come through the download rule
    (a file:// mirror stands in for Zenodo), the stimuli from an ImageNet folder."""
    import shutil

    import yaml
    from runs import TINY, snakemake

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copy(release["responses"], mirror)
    shutil.copy(release["file_map"], mirror)
    cfg = yaml.safe_load(TINY.read_text())
    cfg["downloads"] = {"imi2023": mirror.as_uri()}
    cfg["imi"] = {"responses": "resources/datasets/imi2023/responses_main.csv",
                  "file_map": "resources/datasets/imi2023/imagenet_exemplars_file_map.json",
                  "imagenet_root": str(release["imagenet_root"]),
                  "metrics": ["pixel", "lpips_alex_random"], "size": 32, "n_boot": 50,
                  "n_splits": 10}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    targets = ["results/figures/imi/fig2_auc.png", "results/figures/imi/units.png"]
    out = snakemake(*targets, "--cores", 2, "-d", tmp_path, "--configfile",
                    tmp_path / "config.yaml")
    assert out.returncode == 0, out.stdout + out.stderr
    for target in targets:
        assert (tmp_path / target).stat().st_size > 10_000
    table = pd.read_csv(tmp_path / "results/imi/trial_stats.csv")
    assert {"pixel:all", "pixel:max_side", "lpips_alex_random:all",
            "lpips_alex_random:lpips5"} <= set(table.predictor)
    meta = json.loads((tmp_path / "results/imi/evidence/lpips_alex_random.json").read_text())
    assert "RANDOM alex backbone" in meta["metrics"]["lpips_alex_random"]["description"]
    log = (tmp_path / "logs/download_dataset/imi2023/responses_main.csv.log").read_text()
    assert "no published checksum pinned" in log
    alphas = pd.read_csv(tmp_path / "results/imi/mis_alpha.csv")
    assert set(alphas.metric) == {"pixel", "lpips_alex_random"} and (alphas.alpha > 0).all()
    meta = json.loads((tmp_path / "results/imi/unit_stats.json").read_text())
    assert meta["metrics"]["mis_alpha"] == dict(zip(alphas.metric, alphas.alpha))
    plan = snakemake("results/scores/mobilenet_v2/features.2/kmeans.csv", "-n", "-d", tmp_path,
                     "--configfile", tmp_path / "config.yaml")
    assert plan.returncode == 0
    assert "results/imi/mis_alpha.csv" in plan.stdout + plan.stderr  # the score job reads it
    out = snakemake(*targets, "-d", tmp_path, "--configfile", tmp_path / "config.yaml",
                    "--report", tmp_path / "report.html")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "validation against human judgments" in (tmp_path / "report.html").read_text()


def test_unit_mis_is_the_mean_sigmoid_of_the_sets_delta_and_ranks_the_models(run):
    """A unit's MIS: the mean over its stimulus sets of sigmoid(alpha x delta); the
    model ranking: each model's mean over units."""
    ev = pd.read_csv(run["evidence.csv"])
    units = pd.read_csv(run["units.csv"]).set_index(["model", "layer", "channel"])
    for key, sets in ev.groupby(["model", "layer", "channel"]):
        expected = np.mean(1 / (1 + np.exp(-MIS_ALPHA * sets.evidence_mis)))
        assert units.loc[key, "mis:pixel"] == pytest.approx(expected)
    assert 0 < units["mis:pixel"].min() and units["mis:pixel"].max() < 1
    ranking = pd.read_csv(run["models.csv"])
    r = ranking[ranking.predictor == "mis:pixel"].set_index("model")
    means = units.groupby("model")["mis:pixel"].mean()
    assert np.allclose(r.score.loc[means.index], means)
    stats_table = pd.read_csv(run["unit_stats.csv"])
    assert "mis:pixel" in set(stats_table.predictor)


def test_the_mis_alpha_fitted_on_human_answers_recovers_the_true_one():
    from superposition.imi import fit_mis_alpha

    rng = np.random.default_rng(0)
    delta = rng.normal(0, 1, 20000)
    correct = rng.random(20000) < 1 / (1 + np.exp(-3.0 * delta))
    fit = fit_mis_alpha(delta, correct)
    assert fit["alpha"] == pytest.approx(3.0, rel=0.05)
    assert fit["n_trials"] == 20000
    assert fit["observer_accuracy"] == pytest.approx(fit["human_accuracy"], abs=0.01)
