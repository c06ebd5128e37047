"""Semantic diff time: a generated ruleset (benchmarks/bench_lint.py) against a one-line
change of it (the first stage's engagement threshold lowered by 2), and the ruleset against
itself.

Run: .venv/bin/python benchmarks/bench_diff.py [SIZES...]
Prints one line per size and pair: rules, verdicts changed, solver queries, seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from leadrules.check import check
from leadrules.diff.semantic import semantic_diff
from leadrules.model import CheckedModel
from leadrules.source import SourceFile
from leadrules.syntax import parse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lint import ruleset  # noqa: E402


def _model(text: str, name: str) -> CheckedModel:
    module, diagnostics = parse(SourceFile(name, text))
    assert module is not None, diagnostics
    model, diagnostics = check(module)
    assert model is not None, [d.message for d in diagnostics]
    return model


def one_line_change(text: str) -> str:
    """The first stage criterion with its engagement threshold lowered by 2."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("stage S1 if "))
    lines[index] = lines[index].replace("engagement >= 4", "engagement >= 2", 1)
    assert lines[index] != text.splitlines()[index]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [300]
    for size in sizes:
        text = ruleset(size)
        old = _model(text, "old.rules")
        for label, new_text in (("one-line change", one_line_change(text)), ("identical", text)):
            new = _model(new_text, "new.rules")
            started = time.perf_counter()
            result = semantic_diff(old, new)
            elapsed = time.perf_counter() - started
            unknown = sum(k.verdict == "unknown" for k in result.keys)
            print(f"{size:4d} rules, {label:15s}: {len(result.changed())} keys changed "
                  f"({', '.join(result.changed()) or '-'}), {unknown} unknown, {result.queries} queries, "
                  f"{elapsed:7.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
