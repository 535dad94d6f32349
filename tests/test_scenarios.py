"""Every end-to-end scenario of the suite is a config file: the tiny config and the files
under tests/scenarios/, each dry-run as users run it (a file's `# layer on:` line names
the configs it is layered on; without one it stands alone), and the refused configs of
tests/scenarios/refused/, each refused naming its problem. This is the fast path's check
that every scenario still plans (`make test-fast`); the full runs are in the files
docs/tests.md names."""

import re

import pytest

from runs import ROOT, TINY, snakemake, with_absolute_paths

SCENARIOS = [TINY, *sorted((ROOT / "tests/scenarios").glob("*.yaml"))]
# The config's checks are function calls (tests/test_settings.py, the model rows in
# tests/test_models.py); these are the ones Snakemake runs: the schema's wiring, the
# model rows' wiring and the preflight's checks of K and the pools. Each is a scenario
# file layered on the tiny config, as a user would run it:
#   snakemake -n --configfile tests/data/config.yaml tests/scenarios/refused/<name>.yaml
REFUSED = sorted((ROOT / "tests/scenarios/refused").glob("*.yaml"))
SHARED = ROOT.parent / "shared/research-data"


def layers(scenario):
    """The config files a scenario is run with, in order: its layers, then itself."""
    found = re.search(r"^# layer on: (.+)$", scenario.read_text(), re.M)
    return [*(ROOT / f for f in found.group(1).split()), scenario] if found else [scenario]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_plans(scenario, tmp_path):
    configs = [with_absolute_paths(c, tmp_path) for c in layers(scenario)]
    if "../shared/" in "".join(c.read_text() for c in layers(scenario)) and not SHARED.is_dir():
        pytest.skip("needs ../shared/research-data")
    out = snakemake("-n", "-q", "rules", "-d", tmp_path / "run", "--configfile", *configs,
                    env={"PYTHONPATH": str(ROOT / "tests/scenarios")})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    assert re.search(r"^total\s+\d+", out.stdout, re.M), out.stdout[-2000:]


@pytest.mark.parametrize("scenario", REFUSED, ids=[p.stem for p in REFUSED])
def test_bad_config_is_rejected_before_any_work_naming_the_problem(tmp_path, scenario):
    expected = re.search(r"^# expect: (.*)$", scenario.read_text(), re.M).group(1)
    out = snakemake("-n", "-d", tmp_path / "run", "--configfile", *layers(scenario))
    assert out.returncode != 0
    assert expected in out.stdout + out.stderr
    assert len((out.stdout + out.stderr).splitlines()) < 40  # a message, not the schema
    assert not (tmp_path / "run" / "results").exists()


def test_every_refused_scenario_names_its_expected_message_and_its_layers():
    assert len(REFUSED) >= 5
    for scenario in REFUSED:
        assert re.search(r"^# expect: .+$", scenario.read_text(), re.M), scenario
        assert layers(scenario) == [TINY, scenario]
