"""docs/rules/<code>.md from the rule docstrings (and short pages for LR001–LR006, LR9xx).

    python -m leadrules.lint.docs docs/rules     # rewrite the pages
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from leadrules.diagnostics import CODES
from leadrules.lint.registry import RULES

__all__ = ["pages", "main"]

_SHORT = {
    "LR001": "The file does not parse. The message names the tokens that were expected at that point.\n\n"
             "## How to fix\nCorrect the statement; `leadrules fmt` only runs on files that parse.",
    "LR002": "A name is used that no `field`, `event`, `list`, `condition`, `score` or `band` declares. "
             "The message suggests the closest declared name.\n\n## How to fix\nFix the spelling or declare the name.",
    "LR003": "Values of different types meet: text compared with a number, a date with a timestamp, `per` on a "
             "field that is not an integer, arithmetic that is not linear.\n\n## How to fix\n"
             "Compare like with like; see the hint for the expected form.",
    "LR004": "A text literal compared with a `one of` field (or a band) is not among its values. Comparison is "
             "case-sensitive.\n\n## How to fix\nUse one of the declared values (the message suggests the closest).",
    "LR005": "A name is declared twice, or conditions, scores and bands depend on each other in a cycle.\n\n"
             "## How to fix\nRename or merge the declarations; break the cycle.",
    "LR006": "A stage is used wrongly: `at` the entry stage, a route, criterion or handoff for an undeclared "
             "stage, `otherwise` before the last route entry.\n\n## How to fix\nName a stage of `stages`.",
    "LR900": "A solver query ran out of its time budget, or its answer depends on something the analysis does "
             "not model exactly (how Python lower-cases an email's domain, when a rule reads both the email text "
             "and `.domain`), so a finding could be neither proved nor ruled out. Nothing is reported as "
             "unreachable in that case.\n\n## How to fix\nRaise `solver-timeout-ms` in `leadrules.toml` or "
             "`[tool.leadrules]`, split very large conditions, or compare `.domain` with lower-case text.",
    "LR901": "A witness lead the analysis built does not show, when evaluated by the Python engine, what the "
             "finding claims. This is "
             "a bug in leadrules, reported instead of the finding so that nothing is dropped silently.\n\n"
             "## How to fix\nReport it with the ruleset; the witness is attached.",
}


def _page(code: str, body: str) -> str:
    info = CODES[code]
    return (f"# {code} {info.name}\n\nSeverity: **{info.severity.value}**. {info.summary[0].upper()}"
            f"{info.summary[1:]}.\n\n{body.strip()}\n\nSilence one line with `# noqa: {code}`; select or ignore the "
            f"code with `--select`/`--ignore` or the `select`/`ignore` configuration keys.\n")


def pages() -> dict[str, str]:
    """File name → Markdown text for every code of CODES."""
    out: dict[str, str] = {}
    for rule in RULES:
        doc = inspect.cleandoc(rule.__doc__ or "")
        _, _, body = doc.partition("\n\n")
        out[f"{rule.code}.md"] = _page(rule.code, body)
    for code, body in _SHORT.items():
        out[f"{code}.md"] = _page(code, body)
    return dict(sorted(out.items()))


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (target / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
