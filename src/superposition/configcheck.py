"""Config validation messages a person can act on: one line per problem, naming where
it is and, for a misspelt key or value, the closest allowed one."""

from __future__ import annotations

from difflib import get_close_matches


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
