"""One verdict per brain area across recording sessions and animals.

Each session gives, per direction set and score, the gain over its neurons and that
gain net of the set's shuffled-fit null, with the unit-level bootstrap replicates of
:mod:`superposition.effects` (the same seed and keys, so a session's row here equals its
row of ``net_effects.csv``). The pooled estimate weighs animals equally and, within an
animal, its sessions equally. Its interval comes from a hierarchical bootstrap: each
replicate draws animals with replacement, then each drawn animal's sessions with
replacement, then (the sessions' own replicates) units. A session drawn twice in one
replicate keeps one unit draw, which widens the interval, never narrows it.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from .effects import (N_BOOT, SCORE_COLUMNS, Gains, benjamini_hochberg, interval,
                      is_null_set, p_value, shuffled_name)

VERDICTS = {1: "directions beat neurons", -1: "neurons beat directions",
            0: "not resolved"}


def verdict(low: float, high: float) -> str:
    """From a net effect's CI: which side it lies on, where it lies wholly on one."""
    return VERDICTS[1 if low > 0 else -1 if high < 0 else 0]


def session_weights(animals: list[str], *, n_boot: int, seed: int, key) -> np.ndarray:
    """(n_boot x sessions) weights of the hierarchical bootstrap: animals drawn with
    replacement, then within each drawn animal its sessions with replacement; a session's
    weight is its draws / (its animal's sessions x the animals). Rows sum to 1."""
    names = sorted(set(animals))
    rng = np.random.default_rng([seed, zlib.crc32(repr(key).encode())])
    drawn = rng.multinomial(len(names), np.full(len(names), 1 / len(names)), n_boot)
    weights = np.zeros((n_boot, len(animals)))
    for a, animal in enumerate(names):
        members = [i for i, x in enumerate(animals) if x == animal]
        m = len(members)
        counts = rng.multinomial(drawn[:, a] * m, np.full(m, 1 / m))
        weights[:, members] = counts / (m * len(names))
    return weights


def pooled_effects(scores: pd.DataFrame, metric: str, *, sessions: dict[str, dict],
                   n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Per area, direction set and score: each session's gain over its neurons, the gain
    of the set's shuffled-fit null, and the net, with 95% CIs (``level`` session), and the
    same pooled over sessions and animals (``level`` pooled) with its hierarchical CI, a
    p-value, the Benjamini-Hochberg adjustment over the pooled rows and a verdict.

    ``sessions``: source -> {"area", "animal"}; areas with one session are left out.
    """
    scores = scores[scores.metric == metric]
    present = {name: col for name, col in SCORE_COLUMNS.items() if col in scores}
    gain = Gains(scores, n_boot, seed)
    by = gain.by

    rows = []
    areas: dict[str, list[str]] = {}
    for source, info in sessions.items():
        areas.setdefault(info["area"], []).append(source)
    for area, members in areas.items():
        if len(members) < 2:
            continue
        animals = [sessions[s]["animal"] for s in members]
        methods = [m for m in dict.fromkeys(scores.method)
                   if m != "neurons" and not is_null_set(m)
                   and all((s, area, m) in by and (s, area, shuffled_name(m)) in by
                           for s in members)]
        weights = session_weights(animals, n_boot=n_boot, seed=seed, key=("pooled", area))
        point = np.array([1 / (animals.count(a) * len(set(animals))) for a in animals])
        for method in methods:
            for name, col in present.items():
                own = [gain(s, area, method, col) for s in members]
                null = [gain(s, area, shuffled_name(method), col) for s in members]
                common = {"area": area, "method": method, "score": name,
                          "null_method": shuffled_name(method)}
                for s, a, (g, gs), (n, ns) in zip(members, animals, own, null):
                    rows.append(common | _row(g, gs, n=n, n_samples=ns) | {
                        "level": "session", "source": s, "animal": a, "n_animals": 1,
                        "n_sessions": 1, "n_units": len(by[s, area, "neurons"])})
                (g, gs), (n, ns) = ([np.array(x) for x in zip(*terms)] for terms in (own, null))
                rows.append(common | _row(point @ g, (weights * gs.T).sum(1),
                                          n=point @ n, n_samples=(weights * ns.T).sum(1)) | {
                    "level": "pooled", "source": "pooled", "animal": "all",
                    "n_animals": len(set(animals)), "n_sessions": len(members),
                    "n_units": sum(len(by[s, area, "neurons"]) for s in members)})
    columns = ["area", "level", "source", "animal", "method", "score", "null_method",
               "n_animals", "n_sessions", "n_units", "gain", "gain_ci_low", "gain_ci_high",
               "null_gain", "null_gain_ci_low", "null_gain_ci_high", "net", "net_ci_low",
               "net_ci_high", "p", "verdict"]
    table = pd.DataFrame(rows, columns=columns)
    pooled = table.level == "pooled"
    table["p_adjusted"] = np.nan
    table.loc[pooled, "p_adjusted"] = benjamini_hochberg(table.p[pooled].to_numpy())
    return table


def _row(g: float, g_samples: np.ndarray, *, n: float, n_samples: np.ndarray) -> dict:
    net = g_samples - n_samples
    (gl, gh), (nl, nh), (el, eh) = interval(g_samples), interval(n_samples), interval(net)
    return {"gain": float(g), "gain_ci_low": gl, "gain_ci_high": gh, "null_gain": float(n),
            "null_gain_ci_low": nl, "null_gain_ci_high": nh, "net": float(g - n),
            "net_ci_low": el, "net_ci_high": eh, "p": p_value(net),
            "verdict": verdict(el, eh)}
