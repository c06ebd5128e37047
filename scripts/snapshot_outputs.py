#!/usr/bin/env python3
"""Every output of every ruleset and example in the repository, written to one folder.

    python scripts/snapshot_outputs.py OUT_DIR
    diff -r BEFORE_DIR OUT_DIR          # a refactor must leave this empty

For each ruleset (rulesets/, benchmarks/, the spec examples in tests/fixtures/spec_examples/):
`check` (text and JSON: lint findings and witnesses), `export` (AST, lead schema, SQL in every
dialect), `eval` on both engines (JSON Lines and CSV, `--explain` on the Python engine), `explain`
of the first leads, `test`, and `doc` (Markdown). The leads are generated with a fixed seed (the
ruleset's own generator where one exists), plus its `test` leads and a few invalid records, so
error records are compared too. Each file holds the command's exit status, stdout and stderr.
The commands run in this process through click's test runner, so the script takes seconds;
`check` runs in a fresh process each time, as z3's witnesses depend on the process's history.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-22T00:00:00Z"
DIALECTS = ("duckdb", "postgres", "spark", "bigquery", "snowflake")
INVALID = [
    '{"id": "bad-1"}',
    '{"id": "bad-2", "email": 42, "employees": "many"}',
    "[1, 2, 3]",
    "not json at all",
]


def rulesets() -> list[Path]:
    found = sorted((ROOT / "rulesets").glob("*.rules"))
    found += sorted((ROOT / "benchmarks").glob("*.rules"))
    found += sorted((ROOT / "tests" / "fixtures" / "spec_examples").glob("*.rules"))
    return found


def test_leads(path: Path) -> list[str]:
    """The leads of the ruleset's own `test` blocks, as JSON Lines."""
    from leadrules import jsontext
    from leadrules.check import check
    from leadrules.source import SourceFile
    from leadrules.syntax import parse

    source = SourceFile(str(path), path.read_text(encoding="utf-8"))
    tree, _ = parse(source)
    if tree is None:
        return []
    model, _ = check(tree)
    if model is None:
        return []
    lines = []
    for number, case in enumerate(model.tests):
        lead = dict(case.lead)
        lead.setdefault("id", f"test-{number}")
        lines.append(jsontext.dumps(lead))
    return lines


def generated_leads(path: Path, out: Path) -> list[str]:
    """Seeded leads from the ruleset's generator, when it has one."""
    generator = {
        "eval_bench.rules": ROOT / "benchmarks" / "gen_leads.py",
        "fit_engagement.rules": ROOT / "benchmarks" / "gen_leads.py",
        "peer.rules": ROOT / "benchmarks" / "baselines" / "gen_peer.py",
    }.get(path.name)
    examples = ROOT / "tests" / "fixtures" / "spec_examples" / (path.stem + ".leads.jsonl")
    if examples.exists():
        return examples.read_text(encoding="utf-8").splitlines()
    if generator is None:
        return []
    target = out / f"_{path.stem}.gen.jsonl"
    subprocess.run([sys.executable, str(generator), "300", str(target)], check=True, capture_output=True)
    return target.read_text(encoding="utf-8").splitlines()


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    runner = CliRunner()
    from leadrules.cli import cli

    def run(name: str, args: list[str]) -> None:
        if args[0] == "check":
            # z3's models depend on what the process solved before, so the linter's witnesses
            # are compared as a user gets them: one fresh process per command
            done = subprocess.run([sys.executable, "-m", "leadrules", *args], capture_output=True, text=True,
                                  cwd=ROOT)
            text = f"exit {done.returncode}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
            (out / name).write_text(text, encoding="utf-8")
            return
        result = runner.invoke(cli, args, catch_exceptions=True)
        stderr = result.stderr if result.stderr_bytes is not None else ""
        text = f"exit {result.exit_code}\n--- stdout\n{result.stdout}--- stderr\n{stderr}"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            text += f"--- exception\n{type(result.exception).__name__}: {result.exception}\n"
        (out / name).write_text(text, encoding="utf-8")

    for path in rulesets():
        stem = f"{path.parent.name}.{path.stem}"
        rel = str(path.relative_to(ROOT))
        leads = generated_leads(path, out) + test_leads(path)
        lines = leads[:2] + INVALID + leads[2:]
        leads_file = out / f"_{stem}.leads.jsonl"
        leads_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        run(f"{stem}.check.txt", ["check", rel])
        run(f"{stem}.check.json", ["check", "--format", "json", rel])
        run(f"{stem}.export.ast.json", ["export", "--to", "ast-json", rel])
        run(f"{stem}.export.lead-schema.json", ["export", "--to", "lead-schema", rel])
        for dialect in DIALECTS:
            run(f"{stem}.export.{dialect}.sql", ["export", "--to", "sql", "--dialect", dialect, rel])
        run(f"{stem}.test.txt", ["test", rel])
        run(f"{stem}.doc.md", ["doc", rel])
        for engine in ("python", "duckdb"):
            for fmt in ("jsonl", "csv"):
                run(f"{stem}.eval.{engine}.{fmt}",
                    ["eval", rel, str(leads_file), "--as-of", AS_OF, "--engine", engine, "--format", fmt])
        run(f"{stem}.eval.explain.jsonl", ["eval", rel, str(leads_file), "--as-of", AS_OF, "--explain"])
        ids = [json.loads(line).get("id") for line in leads[:3] if line.startswith("{")]
        for number, lead_id in enumerate(ids):
            if isinstance(lead_id, str):
                run(f"{stem}.explain.{number}.txt",
                    ["explain", rel, str(leads_file), "--id", lead_id, "--as-of", AS_OF])
    print(f"wrote {len(list(out.iterdir()))} files to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
