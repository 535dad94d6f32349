"""The config reference, generated from the schema: one table per section, one row per
key (``parent.child`` for nested settings, ``<name>.key`` for the keys of a row), with
its type, default and description. ``config/README.md`` ends with it, and a test checks
that it is the schema's current text (``make config-doc`` writes it anew)."""

from __future__ import annotations

import json

MARKER = "<!-- generated from workflow/schemas/config.schema.yaml by make config-doc -->"


def _type(schema: dict) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if "oneOf" in schema:
        return " or ".join(_type(s) for s in schema["oneOf"])
    kind = schema.get("type", "")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and "items" in schema:
        kind = f"list of {_type(schema['items']) or 'items'}"
    if "pattern" in schema:
        kind += " matching `" + schema["pattern"].replace("|", "\\|") + "`"
    return kind


def _kind_defaults(schema: dict, key: str) -> list[str]:
    """A key's defaults that hold for one kind of row only (``allOf`` of ``if``/``then``):
    ``"value"`` (where ``field`` is ``kind``)."""
    out = []
    for case in schema.get("allOf", []):
        default = case.get("then", {}).get("properties", {}).get(key, {})
        if "default" in default:
            [(field, condition)] = case["if"]["properties"].items()
            out.append(f"`{json.dumps(default['default'])}` ({field} "
                       f"`{condition['const']}`)")
    return out


def _rows(schema: dict, prefix: str):
    for key, sub in schema.get("properties", {}).items():
        name = f"{prefix}{key}"
        stated = [f"`{json.dumps(sub['default'])}`"] if "default" in sub else []
        default = ", ".join(stated + _kind_defaults(schema, key))
        required = " (required)" if key in schema.get("required", []) else ""
        text = " ".join(sub.get("description", "").split()).replace("|", "\\|")
        yield f"| `{name}`{required} | {_type(sub)} | {default} | {text} |"
        if sub.get("type") == "object" and "properties" in sub:
            yield from _rows(sub, f"{name}.")
        elif isinstance(sub.get("additionalProperties"), dict) and \
                "properties" in sub["additionalProperties"]:
            yield from _rows(sub["additionalProperties"], f"{name}.<name>.")


def reference(schema: dict) -> str:
    """Markdown: every section of the schema with its keys."""
    out = [MARKER, ""]
    for section, sub in schema["properties"].items():
        out += [f"### `{section}`", ""]
        if sub.get("description"):
            out += [" ".join(sub["description"].split()), ""]
        rows = list(_rows({"properties": {section: sub}}, ""))[1:]
        if rows:
            out += ["| key | type | default | what it sets |", "|---|---|---|---|", *rows, ""]
    return "\n".join(out)


def refreshed(text: str, schema: dict) -> str:
    """``text`` (a README) with everything from the marker on replaced by the reference."""
    head = text.split(MARKER)[0]
    return head + reference(schema) + "\n"


if __name__ == "__main__":  # python -m superposition.configdoc SCHEMA README
    import sys
    from pathlib import Path

    import yaml

    schema_path, readme = map(Path, sys.argv[1:3])
    readme.write_text(refreshed(readme.read_text(), yaml.safe_load(schema_path.read_text())))
