"""Stage 7: figures, tables and the generated results document."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from ..provenance import provenance
from ..settings import Figures
from .io import pool_images, read_all, read_table, write_csv

log = logging.getLogger("superposition")


def figure_ii(scores: list[str], *, baseline: str, metric: str, title: str, out: str) -> None:
    from ..plotting import ii_by_method

    ii_by_method(read_all(scores), read_table(baseline), metric=metric, title=title, out=out)


def figure_sizes(scores: list[str], *, metric: str, title: str, out: str) -> None:
    from ..plotting import ii_by_size

    ii_by_size(read_all(scores), metric, title=title, out=out)


def figure_meis(scores: list[str], *, pool: str, metric: str, figures: Figures, title: str,
                out: str) -> None:
    from ..plotting import mei_grid

    mei_grid(read_all(scores), pool_images(pool), metric=metric, methods=list(figures.mei_methods),
             n_show=figures.n_show, title=title, out=out)


def figure_psychophysics(tables: list[str], title: str, out: str) -> None:
    from ..plotting import psychophysics_curves

    psychophysics_curves(read_all(tables), title, out)


def figure_imi(trial_stats: str, *, unit_stats: str, units: str, model: str, metric: str,
               out_auc: str, out_units: str) -> None:
    from ..plotting import imi_auc, imi_units

    imi_auc(read_table(trial_stats), model, metric=metric,
            title=f"IMI {model}: does in-silico evidence ({metric}) predict human correctness?",
            out=out_auc)
    imi_units(read_table(units), read_table(unit_stats), metric=metric,
              title=f"IMI units: human score vs II ({metric})", out=out_units)


def figure_recovery(table: str, title: str, out: str) -> None:
    from ..plotting import recovery_bars

    recovery_bars(read_table(table), title, out)


def figure_zoo(summary: str, *, index: dict, depths: dict, methods: list[str], metric: str,
               out_figure: str, out_table: str) -> None:
    """The zoo table and figure: each zoo model's gains over its neurons by depth."""
    from ..plotting import zoo as plot_zoo
    from ..zoo import zoo_table

    table = zoo_table(read_table(summary), index, depths=depths, methods=methods)
    if table.empty:
        raise ValueError(f"{summary} holds no zoo source with any of {methods}")
    plot_zoo(table, metric, out_figure)
    write_csv(table, out_table, {metric: {"methods": methods}})
    log.info("zoo: %d models, %d rows", table.source.nunique(), len(table))


def figure_summary(scores: list[str], *, calibration: str, calibration_figure: str, metric: str,
                   untrained: dict[str, str],
                   pools: dict[str, str], dictionary: str | None, out_figure: str,
                   out_compact: str, out_table: str, out_net: str, out_front: str) -> None:
    """Mean scores and gains per source, layer and direction set; the net effects over
    the matched nulls, each score flagged where it fails a check of an expected value
    on the source's pool (a bias); the compact figure (K-means and the declared sparse
    dictionary), the detail figure of every set, and the report's front page."""
    from ..calibration import failing_checks
    from ..effects import net_effects, summary_table
    from ..frontpage import compact_sets, front_page
    from ..plotting import summary

    all_scores = read_all(scores)
    cal = read_table(calibration)
    fails = failing_checks(cal, metric, "=")  # a bias withholds the score's verdicts
    blind = failing_checks(cal, metric, ">")  # a blind spot is shown beside them
    table = summary_table(all_scores, metric)
    net = net_effects(all_scores, metric, untrained=untrained)
    net["calibrated"] = [not fails.get((pools[r.source], r.score)) for r in net.itertuples()]
    summary(table, net, metric=metric, out=out_figure)
    chosen = compact_sets(net, dictionary)
    summary(table[table.method.isin(chosen)], net[net.method.isin(chosen)], metric=metric,
            out=out_compact)
    Path(out_front).write_text(front_page(net, metric, chosen, fails, pools, out_compact,
                                          out_figure, cal, calibration_figure, blind=blind))
    write_csv(table, out_table, {"metric": metric})
    write_csv(net, out_net, {"metric": metric, "untrained_nulls": untrained,
                             "shuffled_nulls": "<method>_shuffled of the same source and layer",
                             "intervals": "95% bootstrap: paired (a set of units resamples "
                                          "alike in every term), over units and, where the "
                                          "pool has groups, over groups (pigeonhole)",
                             "p_adjusted": net.correction.iloc[0] if len(net) else "",
                             "calibrated": "the score passes every known-answer check of "
                                           "an expected value (no bias) on the source's "
                                           "pool (results/tables/calibration.csv)"})
    for row in net[net.score == "ii"].itertuples():
        log.info("%s / %s / %s: II gain %+.3f, %s null %+.3f, net %+.3f [%+.3f, %+.3f]",
                 row.source, row.layer, row.method, row.gain, row.null, row.null_gain, row.net,
                 row.net_ci_low, row.net_ci_high)


def pooled_effects(*, scores: list[str], metric: str, sessions: dict[str, dict],
                   method: str, out_table: str, out_figures: dict[str, str]) -> None:
    """Sessions of one area pooled across animals (:mod:`superposition.pooled`): the table
    of every session's and the pooled net effects, and a figure per area."""
    from ..plotting import pooled_forest
    from ..pooled import pooled_effects as pool

    table = pool(read_all(scores), metric, sessions=sessions)
    for area, out in out_figures.items():
        t = table[table.area == area]
        pooled_forest(t, method,
                      title=f"{area}: {method} vs neurons, net of its shuffled-fit null, "
                      f"per session and pooled ({metric}; 95% CIs)", out=out)
    write_csv(table, out_table, {
        "metric": metric, "sessions": sessions,
        "intervals": "sessions: 95% bootstrap over units, paired as in net_effects.csv; "
                     "pooled: hierarchical bootstrap over animals, then sessions, then units; "
                     "animals weigh equally, and sessions within an animal",
        "p_adjusted": "Benjamini-Hochberg over the pooled rows"})
    for r in table[(table.level == "pooled") & (table.method == method)].itertuples():
        log.info("%s pooled (%d sessions, %d animals) %s: net %+.3f [%+.3f, %+.3f]: %s",
                 r.area, r.n_sessions, r.n_animals, r.score, r.net, r.net_ci_low,
                 r.net_ci_high, r.verdict)


def results_document(net: str, *, calibration: str, recovery: list[str], metric: str,
                     dictionary: str | None, out: str, scores: list[str], out_flat: str,
                     catch_trials: str | None = None) -> None:
    """``results/RESULTS.md``: the run's results, generated from its tables; beside it,
    the share of flat crops among each direction set's top sets (``out_flat``)."""
    from ..lowlevel import FLAT_R2, FLAT_TOP, flat_shares
    from ..resultsdoc import results_markdown, stability_rows

    rec = read_all(recovery) if recovery else None
    catch = pd.read_csv(catch_trials) if catch_trials else None
    table = read_all(scores)
    table = table[table.metric == metric]
    flat = flat_shares(table)
    write_csv(flat, out_flat, {"metric": metric, "flat": f"low-level R^2 above {FLAT_R2}",
                               "top": f"the {FLAT_TOP} directions of highest II a set"})
    Path(out).write_text(results_markdown(read_table(net), read_table(calibration), recovery=rec,
                                          metric=metric, dictionary=dictionary, catch=catch,
                                          flat=flat, stability=stability_rows(table)))


def claims_document(*, summary: str, net: str, scores: list[str], psychophysics: list[str],
                    synergy: list[str], interpolation: list[str], accuracy: str | None,
                    pooled: str | None, first_layers: dict[str, str], metric: str, context: dict,
                    out: str) -> None:
    """``results/CLAIMS.md``: each of the paper's claims beside this run's numbers, with a
    verdict (see :mod:`superposition.claims`)."""
    from .. import claims as c
    from ..provenance import git_commit

    sources = list(first_layers)
    table = read_all(scores)
    table = table[table.metric == metric]
    empty = pd.DataFrame(columns=["source", "layer"])
    found = [
        c.directions_beat_neurons(read_table(summary), first_layers),
        c.kmeans_beats_others(table, sources),
        c.ii_rises_with_k(table, sources),
        c.accuracy_falls_with_difficulty(read_all(psychophysics) if psychophysics else empty,
                                         sources),
        c.sparsity_tracks_ii(table, sources),
        c.mixtures_lose_ii(read_all(interpolation) if interpolation else empty, sources),
        c.synergy_in_a_minority(read_all(synergy) if synergy else empty, sources),
        c.brains_follow(read_table(pooled) if pooled else None),
    ]
    acc = pd.read_csv(accuracy) if accuracy else pd.DataFrame()
    # the commit that computed the numbers (the net effects' provenance), and this one's
    computed = json.loads(Path(net).with_suffix(".json").read_text())["provenance"]["git_commit"]
    commit = (f"`{computed}`" if computed == git_commit()
              else f"`{computed}` (the tables; this document: `{git_commit()}`)")
    Path(out).write_text(c.claims_markdown(
        found, context=context | {"commit": commit, "metric": metric},
        nulls=read_table(net), accuracy=acc))
    for claim in found:
        log.info("%s: %s", claim.key, claim.verdict)


def figure_agreement(scores: list[str], *, metric: str, out_figure: str, out_table: str) -> None:
    """Rank agreement of II and MIS: over units, and in the order of direction sets."""
    from ..effects import score_agreement
    from ..plotting import agreement

    table = score_agreement(read_all(scores), metric)
    agreement(table, f"Do II and MIS agree? ({metric})", out_figure)
    write_csv(table, out_table, {})


def record_config(config: dict, out: str) -> None:
    import yaml

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(yaml.safe_dump({"provenance": provenance(), **config}, sort_keys=False))
