"""Config validation messages a person can act on: one line per problem, naming where
it is and, for a misspelt key or value, the closest allowed one."""

from __future__ import annotations

import copy
from difflib import get_close_matches

from .synthetic import PopulationSettings


def _closest(word, allowed) -> str:
    close = get_close_matches(str(word), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(map(str, allowed))}"


def schema_problems(config: dict, schema: dict) -> list[str]:
    """Every place where ``config`` breaks ``schema``, as short sentences."""
    from jsonschema.validators import validator_for

    validator = validator_for(schema)(schema)
    problems = []
    for err in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.path))):
        where = ".".join(map(str, err.absolute_path)) or "the top level"
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = list(err.schema.get("properties", {}))
            for key in [k for k in err.instance if k not in allowed]:
                problems.append(f"{where}: unknown key {key!r}{_closest(key, allowed)}")
        elif err.validator == "enum":
            problems.append(f"{where}: {err.instance!r} is not allowed"
                            f"{_closest(err.instance, err.validator_value)}")
        else:
            message = err.message if len(err.message) <= 200 else err.message[:200] + " …"
            problems.append(f"{where}: {message}")
    return problems


def _with_defaults(validator_class):
    """A validator that also fills in every default the schema states, where the key is
    absent (as Snakemake's ``validate`` does), so the library sees complete sections."""
    from jsonschema import validators

    check_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if isinstance(instance, dict):
            for key, sub in props.items():
                if "default" in sub:
                    instance.setdefault(key, copy.deepcopy(sub["default"]))
        yield from check_properties(validator, props, instance, schema)

    return validators.extend(validator_class, {"properties": properties})


def validate_config(config: dict, schema: dict) -> dict:
    """The whole config checked in plain Python, before any job: the schema first (a
    misspelt key names the closest allowed one), then what no schema can say
    (:func:`config_problems`). Returns a copy with the schema's defaults filled in and
    the rows resolved (:func:`resolve_rows`); the config handed in is not edited. Raises
    ValueError naming every problem."""
    from jsonschema.validators import validator_for

    from .metrics import register_config_metrics

    config = copy.deepcopy(config)
    problems = schema_problems(config, schema)
    if not problems:
        list(_with_defaults(validator_for(schema))(schema).iter_errors(config))
        problems += resolve_rows(config)
        try:
            register_config_metrics(config)  # metrics defined by config rows
        except ValueError as err:
            problems.append(str(err))
        problems += config_problems(config)
    if problems:
        raise ValueError("config error:\n  " + "\n  ".join(problems))
    return config


def resolve_rows(config: dict) -> list[str]:
    """Models and recordings switched off (``enabled: false``) dropped, and each
    recording's own pool (a pool given in its row) moved to ``image_pools`` under the
    recording's name, in place, so that a recording session is one row. Problems: a name
    both sections use."""
    for section in ("models", "brain"):
        config[section] = {name: row for name, row in config[section].items()
                           if row["enabled"]}
    problems = []
    for name, row in config["brain"].items():
        if isinstance(row["pool"], dict):
            if name in config["image_pools"]:
                problems.append(f"brain.{name} brings its own pool, but image_pools already "
                                f"names a pool {name!r}: rename one")
            config["image_pools"][name] = row["pool"]
            row["pool"] = name
    return problems


# the keys each kind of image pool and each brain adapter needs
POOL_NEEDS = {"folder": ["path"], "zip": ["path"], "cadena2019": ["path"], "cifar10": ["path"],
              "imi_stimuli": ["path"],
              "nsd": ["path", "expdesign", "subject", "sessions"]}
ADAPTER_NEEDS = {"synthetic": PopulationSettings.required(),
                 "npy": ["path"], "cadena2019": ["path"],
                 "nsd": ["path", "expdesign", "roi", "subject", "sessions"]}


def config_problems(config: dict) -> list[str]:
    """What the schema cannot check: keys a pool kind or brain adapter needs, names that
    must refer to other sections, metrics that must be registered (config metric rows
    registered first) and the IMI branch's folders."""
    import os

    from .metrics import METRICS
    from .analyses import ANALYSES
    from .settings import Directions, Figures, Imi, Psychophysics, Scoring

    pools, models, brain = config["image_pools"], config["models"], config["brain"]
    directions = Directions.from_config(config["directions"])
    problems = []
    for name, pool in pools.items():
        missing = [k for k in POOL_NEEDS.get(pool["kind"], ["n_images"]) if k not in pool]
        if missing:
            problems.append(f"image_pools.{name}: kind {pool['kind']} needs {missing}")
        if pool.get("store") == "in_place" and pool["kind"] != "folder":
            problems.append(f"image_pools.{name}: store: in_place reads a folder in place; "
                            f"kind {pool['kind']} is stored as pixels (remove store)")
    both = set(models) & set(brain)
    if both:
        problems.append(f"{sorted(both)} named both as model and as brain dataset")
    for section, rows in (("models", models), ("brain", brain), ("zoo", config.get("zoo", {}))):
        for name, row in rows.items():
            if row["pool"] not in pools:
                problems.append(f"{section}.{name}.pool is {row['pool']!r}, not one of "
                                f"image_pools: {sorted(pools)}")
    for name, row in brain.items():
        missing = [k for k in ADAPTER_NEEDS[row["adapter"]] if k not in row]
        if missing:
            problems.append(f"brain.{name}: the {row['adapter']} adapter needs {missing}")
    metrics = Scoring.from_config(config["scoring"]).metrics
    imi = Imi.from_config(config.get("imi"))
    for section, names in (("scoring", metrics),
                           ("imi.metrics", (imi.metrics or metrics) if imi else [])):
        problems += [f"{section}: unknown metric {m!r}; known: {METRICS.names()}"
                     for m in names if m not in METRICS]
    if imi and not os.path.isdir(imi.imagenet_root):
        problems.append(f"imi.imagenet_root {imi.imagenet_root!r} is not a folder; set it "
                        f"to the ImageNet-1k train folder that the IMI file map's paths are "
                        f"relative to")
    if imi and imi.models and imi.figure_model not in imi.models:
        problems.append(f"imi.figure_model {imi.figure_model!r} is not in imi.models "
                        f"{list(imi.models)}")
    methods = list(directions.methods)
    for analysis in config.get("analyses", {}):
        problems += [f"analyses.{analysis} needs {m!r} in directions.methods"
                     for m in ANALYSES.fact(analysis, "reads", ()) if m not in methods]
    for section, listed in (
            ("psychophysics.methods", Psychophysics.from_config(config["psychophysics"]).methods),
            ("figures.mei_methods", Figures.from_config(config["figures"]).mei_methods)):
        extra = set(listed) - set(methods)
        if extra:
            problems.append(f"{section} lists {sorted(extra)}, not in directions.methods "
                            f"{methods}")
    return problems
