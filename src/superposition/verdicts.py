"""The README's results table, generated: each claim of the paper against each real-data
run's verdict, read from the runs' own ``CLAIMS.md`` (copied unedited under
``docs/results/``), so the front page copies no result by hand. ``make real-doc`` writes
it, and a test checks that the README holds the current table.

    python -m superposition.verdicts README.md NAME=CLAIMS.md ...
"""

from __future__ import annotations

import re

BEGIN = "<!-- verdicts: generated from docs/results by make real-doc -->"
END = "<!-- end of verdicts -->"


def verdicts(claims: str) -> dict[str, tuple[str, str]]:
    """A CLAIMS.md's verdict table: claim -> (what the paper says, the verdict)."""
    table = claims.split("## Verdicts", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): (cells[1].strip(), cells[2].strip().strip("*"))
            for cells in rows[1:]}


def table(runs: dict[str, str]) -> str:
    """Markdown: one row a claim (in the first run's order), one column a run."""
    found = {name: verdicts(text) for name, text in runs.items()}
    claims = list(dict.fromkeys(c for v in found.values() for c in v))
    paper = {c: v[c][0] for v in reversed(found.values()) for c in v}
    head = ["| claim | " + " | ".join(runs) + " |", "|---|" + "---|" * len(runs)]
    return "\n".join(head + [
        f"| **{c}**: {paper[c]} | "
        + " | ".join(found[name].get(c, ("", "not in this run"))[1] for name in runs) + " |"
        for c in claims])


def refreshed(readme: str, runs: dict[str, str]) -> str:
    """``readme`` with the text between the markers replaced by the current table."""
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise ValueError(f"the README has no {BEGIN} ... {END} block")
    return pattern.sub(lambda _: f"{BEGIN}\n{table(runs)}\n{END}", readme)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    readme, *pairs = sys.argv[1:]
    runs = {name: Path(path).read_text() for name, path in (p.split("=", 1) for p in pairs)}
    Path(readme).write_text(refreshed(Path(readme).read_text(), runs))
