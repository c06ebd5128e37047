"""Scaffold a new lint rule.

    python scripts/add_lint_rule.py LR306 route-to-nowhere "route target is not a known team"

writes `src/leadrules/lint/rules/LR306_route_to_nowhere.py` from a template (its docstring is
the source of `docs/rules/LR306.md`), registers the class in `lint/registry.py` and the code
in the `CODES` table of `diagnostics.py` (both in code order), creates the golden folder
`tests/golden/LR306/` and regenerates the docs pages, then prints what is left to fill in.
`--root` points at another checkout (the tests run it on a copy).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

__all__ = ["main", "scaffold"]

_SEVERITIES = {"error": "E", "warning": "W", "info": "INFO"}

_TEMPLATE = '''"""{code} {name}."""

from __future__ import annotations

from typing import ClassVar

from leadrules.diagnostics import Severity
from leadrules.lint.context import LintContext

__all__ = ["{cls}"]


class {cls}:
    """{title}.

    ## What it does
    TODO: what the rule proves or looks for, and where it reports.

    ## Why it matters
    TODO: what goes wrong in the funnel when this is left in.

    ## Example
    ```
    TODO: a few lines of a ruleset that trigger {code}
    ```

    ## How to fix
    TODO: what to change.
    """

    code: ClassVar[str] = "{code}"
    name: ClassVar[str] = "{name}"
    severity: ClassVar[Severity] = Severity.{severity_member}

    def run(self, ctx: LintContext) -> None:
        # TODO: read ctx.model / ctx.encoding; ask with ctx.possible(...) (status only) or
        # ctx.search(claim, query) (with a witness); report with ctx.report(self.code, ...).
        return
'''

_GOLDEN_RULES = '''ruleset "{folder}" version "1"
# TODO: the smallest ruleset that shows {code} {name}; list its findings in
# example.expected.json (code, line, severity, whether a witness is attached)
field employees: integer in 1..500
stages Lead -> MQL
stage MQL if employees >= 100
'''


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _insert_code(text: str, code: str, name: str, severity: str, summary: str) -> str:
    """Add `_code(...)` to the CODES table after the last code below the new one."""
    rows = list(re.finditer(r'^( *)_code\("(LR\d{3})".*$', text, flags=re.MULTILINE))
    if any(row.group(2) == code for row in rows):
        raise SystemExit(f"{code} is already in CODES")
    anchor = [row for row in rows if row.group(2) < code][-1]  # LR001 is always below
    line = f'{anchor.group(1)}_code("{code}", "{name}", {_SEVERITIES[severity]}, {json.dumps(summary)}),'
    return text[:anchor.end() + 1] + line + "\n" + text[anchor.end() + 1:]


def _register(text: str, code: str, module: str, cls: str) -> str:
    """Import the class in `registry.py` and add it to RULES, both in code order."""
    imports = list(re.finditer(r"^from leadrules\.lint\.rules\.(LR\d{3})_\w+ import (\w+)\n", text, flags=re.MULTILINE))
    earlier = [i for i in imports if i.group(1) < code]
    line = f"from leadrules.lint.rules.{module} import {cls}\n"
    at = earlier[-1].end() if earlier else imports[0].start()
    text = text[:at] + line + text[at:]
    start = text.index("RULES: tuple[type[LintRule], ...] = (")
    end = text.index("\n)", start)
    body = text[start:end]
    if earlier:
        previous = earlier[-1].group(2)
        body = re.sub(rf"\b{previous},", f"{previous}, {cls},", body, count=1)
    else:
        body = body.replace("= (\n    ", f"= (\n    {cls}, ", 1)
    return text[:start] + body + text[end:]


def scaffold(root: Path, code: str, name: str, summary: str, severity: str = "warning") -> list[Path]:
    """Write the rule module, registry and CODES entries, golden folder and docs page under
    `root`; returns the files written."""
    if not re.fullmatch(r"LR[1-8]\d\d", code):
        raise SystemExit(f"'{code}' is not a lint code (LR101-LR899)")
    name = name.replace("_", "-").lower()
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name):
        raise SystemExit(f"'{name}' is not a rule name (lower-case words joined by '-')")
    # the summary goes into a docstring and a string literal: plain one-line text only
    if not summary.strip() or not summary.isprintable() or '"' in summary or "\\" in summary:
        raise SystemExit("the summary must be one line of text without '\"' or '\\\\'")
    rules = root / "src/leadrules/lint/rules"
    module = f"{code}_{name.replace('-', '_')}"
    if list(rules.glob(f"{code}_*.py")):
        raise SystemExit(f"{code} already has a rule module")
    cls = _class_name(name)
    written: list[Path] = []

    path = rules / f"{module}.py"
    title = summary[0].upper() + summary[1:]
    path.write_text(_TEMPLATE.format(code=code, name=name, cls=cls, title=title,
                                     severity_member=severity.upper()), encoding="utf-8")
    written.append(path)

    diagnostics = root / "src/leadrules/diagnostics.py"
    diagnostics.write_text(_insert_code(diagnostics.read_text(encoding="utf-8"), code, name, severity, summary),
                           encoding="utf-8")
    written.append(diagnostics)

    registry = root / "src/leadrules/lint/registry.py"
    registry.write_text(_register(registry.read_text(encoding="utf-8"), code, module, cls), encoding="utf-8")
    written.append(registry)

    golden = root / "tests/golden" / code
    golden.mkdir(parents=True, exist_ok=False)
    example = golden / "example.rules"
    example.write_text(_GOLDEN_RULES.format(folder=code.lower(), code=code, name=name), encoding="utf-8")
    expected = golden / "example.expected.json"
    expected.write_text(f'[{{"code": "{code}", "line": 1, "severity": "{severity}", "witness": false}}]\n',
                        encoding="utf-8")
    written += [example, expected]

    # the docs pages come from the docstrings: regenerate them with the new rule registered
    docs = root / "docs/rules"
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    subprocess.run([sys.executable, "-m", "leadrules.lint.docs", str(docs)], check=True, env=env, cwd=root)
    written.append(docs / f"{code}.md")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scaffold a new lint rule.")
    parser.add_argument("code", help="the new code, e.g. LR306")
    parser.add_argument("name", help="kebab-case name, e.g. route-to-nowhere")
    parser.add_argument("summary", help="one line for the CODES table, e.g. \"route target is not a known team\"")
    parser.add_argument("--severity", choices=sorted(_SEVERITIES), default="warning")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the checkout to write into (default: this one)")
    args = parser.parse_args(argv)
    written = scaffold(args.root, args.code, args.name, args.summary, args.severity)
    print("written:")
    for path in written:
        print(f"  {path.relative_to(args.root)}")
    module = written[0].relative_to(args.root)
    print(f"""
to fill in:
  1. {module}: the docstring sections (What it does, Why it matters, Example, How to fix)
     and `run`; then rerun `python -m leadrules.lint.docs docs/rules` for the docs page.
  2. tests/golden/{args.code}/example.rules: a ruleset that shows the finding, and its findings in
     example.expected.json (the placeholder fails test_golden until then).
  3. run: .venv/bin/pytest tests/lint -x -q""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
