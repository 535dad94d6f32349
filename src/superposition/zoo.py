"""A model zoo in one config row.

Each ``zoo`` entry names ``architectures`` (a list of ``family/name``, where a name may be a
glob such as ``timm/resnet*``) and the keys of a model row (``weights``, ``pool``,
``layers``, ``statistic``, ...). It expands into one model row per architecture, named
``<entry>_<name>``, which then runs every stage of the analysis like any other row.
``weights: pretrained`` takes each family's default tag.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from fnmatch import fnmatchcase

def resolve_architectures(patterns: list[str]) -> list[str]:
    """Every ``family/name`` the patterns name, globs matched against the family's
    models; a glob that matches nothing fails naming the family's closest names."""
    from .models import split_architecture

    out = []
    for pattern in patterns:
        family, name = split_architecture(pattern)
        if not any(c in name for c in "*?["):
            out.append(pattern)
            continue
        if family.names is None:
            raise ValueError(f"zoo: {pattern}: the family cannot be searched; name its models")
        known = family.names()
        matched = [n for n in known if fnmatchcase(n, name)]
        if not matched:
            close = get_close_matches(name.replace("*", ""), known, n=3, cutoff=0.5)
            raise ValueError(f"zoo: {pattern} matches no model"
                             + (f"; closest: {', '.join(close)}" if close else ""))
        out += [f"{pattern.partition('/')[0]}/{n}" for n in matched]
    return list(dict.fromkeys(out))


def source_name(entry: str, architecture: str) -> str:
    """``cnn_vs_vit`` + ``timm/vit_tiny_patch16_224`` -> ``cnn_vs_vit_vit_tiny_patch16_224``."""
    return f"{entry}_{re.sub(r'[^A-Za-z0-9]+', '_', architecture.partition('/')[2]).strip('_')}"


def expand_zoo(zoo: dict) -> tuple[dict, dict]:
    """Model rows of every zoo entry, and for each row its entry and architecture."""
    from .models import split_architecture
    from .rows import ZooEntry

    rows, index = {}, {}
    for entry, row in zoo.items():
        spec = ZooEntry.from_row(row)
        for architecture in resolve_architectures(spec.architectures):
            name = source_name(entry, architecture)
            if name in rows:
                raise ValueError(f"zoo.{entry}: {architecture} gives the source name {name!r} "
                                 f"twice")
            weights = spec.weights
            if weights == "pretrained":
                family, arch = split_architecture(architecture)
                if family.default_tag is None:
                    raise ValueError(f"zoo.{entry}: {architecture} has no default pretrained "
                                     f"weights; set weights: random or a tag")
                try:
                    weights = family.default_tag(arch)
                except KeyError as err:
                    raise ValueError(f"zoo.{entry}: {err.args[0]}") from None
            rows[name] = spec.model_row(architecture, weights)
            index[name] = {"entry": entry, "architecture": architecture}
    return rows, index


ZOO_SCORES = ("ii", "mis", "ii_excess")


def zoo_table(summary, index: dict, *, depths: dict, methods: list[str]):
    """For every zoo model at each relative depth: the gain of each of ``methods``
    (K-means, the sparse dictionaries) over the neurons, with its 95% CI, under II, MIS
    and ``ii_excess``. ``summary``: the summary table (``effects.summary_table``)."""
    import pandas as pd

    rows = []
    for source, info in index.items():
        for _, r in summary[(summary.source == source)
                            & summary.method.isin(methods)].iterrows():
            for score in ZOO_SCORES:
                if f"gain_{score}" not in r:
                    continue
                rows.append({"zoo": info["entry"], "source": source,
                             "architecture": info["architecture"], "layer": r.layer,
                             "depth": depths.get(source, {}).get(r.layer), "method": r.method,
                             "score": score, "gain": r[f"gain_{score}"],
                             "gain_ci_low": r[f"gain_{score}_ci_low"],
                             "gain_ci_high": r[f"gain_{score}_ci_high"]})
    columns = ["zoo", "source", "architecture", "layer", "depth", "method", "score", "gain",
               "gain_ci_low", "gain_ci_high"]
    return pd.DataFrame(rows, columns=columns)
