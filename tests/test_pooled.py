"""Every V4 session upstream, checked downloads, and one verdict across sessions and
animals from a hierarchical bootstrap."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from superposition import cowley2023, downloads
from superposition.effects import net_effects
from superposition.pooled import pooled_effects, session_weights

SHARED = Path(__file__).resolve().parents[2] / "shared/research-data/cowley2023_v4"


def test_every_upstream_session_is_known_with_a_checksum_per_file():
    table = cowley2023.SESSION_TABLE
    assert len(table) == 50 and {s.animal for s in table.values()} == {"WE", "PE", "RA"}
    natural = [s.session for s in cowley2023.natural_sessions()]
    assert natural == ["190923", "201025", "210224", "210225", "210620", "210621", "211008",
                       "211022"]
    assert not table["201018"].downloadable  # natural images, but no stimulus zip upstream
    assert not table["190924"].natural_only  # 300 of its 900 images are synthesised
    for session in natural:
        for file in table[session].files:
            algorithm, digest = downloads.expected_checksum("cowley2023_v4", file)
            assert algorithm in ("sha256", "gitblob") and len(digest) in (64, 40)


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared V4 sessions beside the project")
def test_the_shared_sessions_match_their_pinned_checksums():
    for session in ("190923", "201025", "210224"):
        for file in cowley2023.SESSION_TABLE[session].files:
            algorithm, digest = downloads.expected_checksum("cowley2023_v4", file)
            assert downloads.digest_of(algorithm, (SHARED / file).read_bytes()) == digest


def test_a_git_blob_id_checks_a_download_from_a_local_mirror(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "r.npy").write_bytes(b"responses")
    blob = hashlib.sha1(b"blob 9\0responses").hexdigest()  # what `git hash-object` says
    monkeypatch.setitem(downloads.DATASETS, "demo",
                        {"base_url": "", "files": {"r.npy": f"gitblob:{blob}"}})
    url, digest = downloads.download("demo", "r.npy", dest=tmp_path / "out/r.npy",
                                     base_url=str(mirror))
    assert url.startswith("file://") and digest.startswith(f"gitblob:{blob}, sha256:")
    (mirror / "r.npy").write_bytes(b"responsez")
    with pytest.raises(ValueError, match="not the published file"):
        downloads.download("demo", "r.npy", dest=tmp_path / "again/r.npy", base_url=str(mirror))
    assert not (tmp_path / "again/r.npy").exists()


def test_the_hierarchical_weights_draw_animals_then_sessions():
    animals = ["WE", "PE", "PE", "PE"]
    w = session_weights(animals, n_boot=4000, seed=0, key="k")
    assert np.allclose(w.sum(1), 1)
    # each animal holds half the weight on average, its sessions share it
    assert w[:, 0].mean() == pytest.approx(0.5, abs=0.03)
    assert w[:, 1:].mean(0) == pytest.approx([1 / 6] * 3, abs=0.02)
    # a replicate that drew only WE gives the PE sessions nothing
    assert ((w[:, 0] == 1) == (w[:, 1:].sum(1) == 0)).all() and (w[:, 0] == 1).any()


def _scores(effects: dict[str, float], rng, n=40) -> pd.DataFrame:
    rows = []
    for source, effect in effects.items():
        for method, mean in (("neurons", 0.0), ("kmeans", effect), ("kmeans_shuffled", 0.0)):
            for _ in range(n):
                rows.append({"source": source, "layer": "V4", "method": method, "metric": "m",
                             "ii_pairs": mean + rng.normal(0, 0.2)})
    return pd.DataFrame(rows)


def test_one_verdict_across_sessions_with_each_session_beside_it(rng):
    sessions = {"a": {"area": "V4", "animal": "WE"}, "b": {"area": "V4", "animal": "PE"},
                "c": {"area": "V4", "animal": "PE"}}
    scores = _scores({"a": 0.5, "b": 0.4, "c": 0.6}, rng)
    table = pooled_effects(scores, "m", sessions=sessions)
    pooled = table[table.level == "pooled"].iloc[0]
    assert pooled.verdict == "directions beat neurons" and pooled.n_animals == 2
    per = table[table.level == "session"].set_index("source")
    assert pooled.net == pytest.approx(per.net["a"] / 2 + (per.net["b"] + per.net["c"]) / 4)
    # a session's row is its row of the net effects, to the bootstrap draw
    net = net_effects(scores, "m", untrained={}).set_index("source")
    for source in sessions:
        assert per.loc[source, ["net_ci_low", "net_ci_high"]].tolist() == pytest.approx(
            net.loc[source, ["net_ci_low", "net_ci_high"]].tolist())


def test_one_animal_against_the_others_leaves_the_pooled_verdict_open(rng):
    """Each session alone is clear, but the two animals disagree: with animals resampled,
    the pooled interval spans 0 (pooling the units alone would call it for directions)."""
    sessions = {"a": {"area": "V4", "animal": "WE"}, "b": {"area": "V4", "animal": "PE"},
                "c": {"area": "V4", "animal": "PE"}}
    table = pooled_effects(_scores({"a": -0.3, "b": 0.6, "c": 0.6}, rng), "m", sessions=sessions)
    per = table[table.level == "session"].set_index("source").verdict
    assert per.tolist() == ["neurons beat directions"] + ["directions beat neurons"] * 2
    assert table[table.level == "pooled"].verdict.item() == "not resolved"


def test_an_area_of_one_session_is_not_pooled(rng):
    table = pooled_effects(_scores({"a": 0.5}, rng), "m",
                           sessions={"a": {"area": "V4", "animal": "x"}})
    assert table.empty


def test_a_fetched_file_changed_since_is_named_before_any_job(tmp_path, monkeypatch):
    from superposition.preflight import Cache, check_download

    monkeypatch.chdir(tmp_path)
    file = "responses_repeat_averaged/responses_210224.npy"
    path = Path("resources/datasets/cowley2023_v4") / file
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not the published responses")
    with pytest.raises(ValueError, match="not the published file .* delete it, and the "
                                         "workflow fetches it again"):
        check_download(str(path), Cache(None))
    check_download("resources/datasets/cowley2023_v4/absent.npy", Cache(None))  # not fetched
    check_download(str(tmp_path / "elsewhere.npy"), Cache(None))  # not a download
    if SHARED.is_dir():
        path.write_bytes((SHARED / file).read_bytes())
        check_download(str(path), Cache(None))


def test_the_v4_config_plans_every_natural_session_and_one_pooled_verdict(tmp_path):
    """config/v4.yaml as users with a network run it: 16 downloads (a stimulus zip and the
    responses per session), 8 sessions of 3 monkeys, one pooled analysis; with the offline
    layer, the 3 shared sessions only."""
    from runs import ROOT, snakemake

    def plan(*configs):
        out = snakemake("-n", "--quiet", "rules", "--configfile", *configs, "-d", tmp_path)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        return dict(line.split()[:2] for line in out.stdout.splitlines()
                    if len(line.split()) == 2 and line.split()[1].isdigit())

    counts = plan(ROOT / "config/v4.yaml")
    assert counts["download_dataset"] == "16" and counts["ingest_recording"] == "8"
    assert counts["pooled_effects"] == "1" and counts["claims_document"] == "1"
    local = tmp_path / "local.yaml"  # the offline layer, its mirror folder made absolute
    local.write_text((ROOT / "config/v4_local.yaml").read_text().replace(
        "../shared/research-data/cowley2023_v4", str(SHARED)))
    assert plan(ROOT / "config/v4.yaml", local)["ingest_recording"] == "3"
