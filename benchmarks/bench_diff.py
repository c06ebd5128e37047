"""Semantic diff time: a generated ruleset (benchmarks/bench_lint.py) against a one-line
change of it (the first stage's engagement threshold lowered by 2), and the ruleset against
itself. With --impact N: the impact part on N generated leads (benchmarks/gen_leads.py,
benchmarks/eval_bench.rules against the MQL gate moved from 30 to 20) with the DuckDB engine,
against one plain DuckDB `eval` of each version.

Run: .venv/bin/python benchmarks/bench_diff.py [SIZES...] [--impact N]
Prints one line per size and pair: rules, verdicts changed, solver queries, seconds; then
for the impact: seconds and leads/s of the diff and of the two evals.
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


def impact(count: int) -> None:
    import datetime as dt
    import subprocess
    import tempfile

    from leadrules.batch import run
    from leadrules.diff.impact_sql import measure_impact_duckdb

    here = Path(__file__).resolve().parent
    text = (here / "eval_bench.rules").read_text(encoding="utf-8")
    changed = text.replace("stage MQL if engagement >= 30", "stage MQL if engagement >= 20", 1)
    assert changed != text
    old, new = _model(text, "old.rules"), _model(changed, "new.rules")
    as_of = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    with tempfile.TemporaryDirectory() as folder:
        leads = str(Path(folder) / "leads.jsonl")
        subprocess.run([sys.executable, str(here / "gen_leads.py"), str(count), leads], check=True)
        started = time.perf_counter()
        for model in (old, new):
            run(model, leads, None, as_of, "parquet", str(Path(folder) / "out.parquet"))
        evals = time.perf_counter() - started
        started = time.perf_counter()
        result = measure_impact_duckdb(old, new, leads, None, as_of)
        diffed = time.perf_counter() - started
    print(f"impact on {count} leads (DuckDB): {diffed:7.2f} s ({count / diffed:,.0f} leads/s); "
          f"two evals {evals:7.2f} s ({count / evals:,.0f} leads/s); ratio {diffed / evals:.2f}; "
          f"{result.stage.changed} stage changes", flush=True)


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if "--impact" in argv:
        index = argv.index("--impact")
        impact(int(argv[index + 1]))
        argv = argv[:index] + argv[index + 2:]
        if not argv:
            return 0
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
