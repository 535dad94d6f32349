"""A real positive control: the IMI catch-trial units (Zimmermann, Klein & Brendel 2023).

The IMI repository ships each catch-trial unit's natural exemplars, its most and least
activating images, laid out as ``<unit>/channel_<c>/natural_images/{max,min}_<i>.png``
(``i`` the rank). People answer these 2-AFC tasks correctly almost always: they were
built to be easy. So a working score must find them easy too:

- II: the unit's top-k max images are more alike than random k-sets of its own images
  (``ii_percentile``: the share of random sets it beats);
- the in-silico 2-AFC: for every pair (max query i, min query j), the other max images
  and the other min images are the references; the observer picks the query whose
  pooled similarity favours its own side (``accuracy``);
- MIS: the same tasks, each answered with P(correct) = sigmoid(alpha x delta) of its
  mean-pooled evidence (``mis``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

LAYOUT = "<unit>/channel_<c>/natural_images/{max,min}_<i>.png"
_PATTERN = re.compile(r"^(?P<unit>[^/]+)/channel_(?P<channel>\d+)/natural_images/"
                      r"(?P<side>max|min)_(?P<rank>\d+)\.png$")
# a score finds a unit easy when its max set beats this share of random sets, and when
# its 2-AFC accuracy reaches this (people: near 1)
EASY = {"ii_percentile": 0.95, "accuracy": 0.9}


def is_easy(scores: dict) -> bool:
    """Whether a score found a unit easy: every :data:`EASY` bound met."""
    return all(scores[key] >= bound for key, bound in EASY.items())


def stimulus_files(root: str | Path) -> pd.DataFrame:
    """The exemplars below ``root``, one row each (unit, channel, side, rank, file relative
    to ``root``), ordered by unit, side (max first) and rank. Every PNG must follow the
    IMI layout, and each unit needs as many max as min images, ranked 0.. without gaps."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"IMI stimulus folder {root} does not exist; set "
                                f"image_pools.<name>.path to the folder holding {LAYOUT}")
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png"))
    if not files:
        raise ValueError(f"no PNG images under {root}; an IMI stimulus folder holds {LAYOUT}")
    rows, stray = [], []
    for f in files:
        m = _PATTERN.match(f)
        if m:
            rows.append({**m.groupdict(), "file": f})
        else:
            stray.append(f)
    if stray:
        raise ValueError(f"{len(stray)} images under {root} break the IMI layout {LAYOUT}, "
                         f"e.g. {', '.join(stray[:3])}: move or rename them")
    table = pd.DataFrame(rows).astype({"channel": int, "rank": int})
    problems = []
    for unit, t in table.groupby("unit"):
        if t.channel.nunique() > 1:
            problems.append(f"{unit} has several channels {sorted(t.channel.unique())}")
        ranks = {side: sorted(t[t.side == side]["rank"]) for side in ("max", "min")}
        n = len(ranks["max"])
        if n < 2 or ranks["max"] != list(range(n)) or ranks["min"] != list(range(n)):
            problems.append(f"{unit} has max ranks {ranks['max']} and min ranks "
                            f"{ranks['min']}; each side needs ranks 0..n-1, n >= 2 alike")
    if problems:
        raise ValueError(f"IMI stimuli under {root}: " + "; ".join(problems))
    table["side_order"] = table.side.map({"max": 0, "min": 1})
    return (table.sort_values(["unit", "side_order", "rank"]).drop(columns="side_order")
            .reset_index(drop=True))


def task_rows(n: int) -> np.ndarray:
    """(n^2 x 2n) rows, laid out as :func:`superposition.mis.design_tasks` rows: for max
    query i and min query j, the other max images, max image i, the other min images,
    min image j (max images are 0..n-1, min images n..2n-1)."""
    rows = []
    for i in range(n):
        for j in range(n):
            rows.append([*(a for a in range(n) if a != i), i,
                         *(n + b for b in range(n) if b != j), n + j])
    return np.array(rows)


def unit_scores(distances: np.ndarray, *, k: int, n_random: int, alpha: float | None,
                pooling: str, rng: np.random.Generator) -> dict:
    """A unit's scores from the (2n x 2n) distances between its max images (first n) and
    min images (last n), both in rank order."""
    import torch

    from .mis import p_correct, task_evidence
    from .psychophysics import decisions, evidence_difference

    d = torch.as_tensor(np.asarray(distances, np.float64))
    n = len(d) // 2

    def ii(sets: np.ndarray) -> np.ndarray:
        idx = torch.as_tensor(sets)
        block = d[idx[:, :, None], idx[:, None, :]]
        return -(block.sum((1, 2)) / (k * (k - 1))).numpy()

    top = ii(np.arange(k)[None])[0]
    random_sets = np.stack([rng.choice(2 * n, k, replace=False) for _ in range(n_random)])
    chance = ii(random_sets)
    rows = torch.as_tensor(task_rows(n))
    tasks = d[rows[:, :, None], rows[:, None, :]]
    s = -tasks
    r = n - 1  # references a side
    e = evidence_difference(s[:, r, :r], s[:, r, n:n + r], s[:, 2 * n - 1, :r],
                            s[:, 2 * n - 1, n:n + r], pooling)
    return {"n_exemplars": n, "ii_max": float(top), "ii_random_mean": float(chance.mean()),
            "ii_random_sd": float(chance.std()),
            "ii_percentile": float((chance < top).mean() + 0.5 * (chance == top).mean()),
            "accuracy": float(decisions(e.numpy()).mean()),
            "mis": float(p_correct(task_evidence(tasks), alpha).mean())}
