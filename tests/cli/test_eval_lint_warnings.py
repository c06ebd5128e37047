"""`eval` and `export` on a ruleset `check` rejects for error-level findings: one warning line per
finding on stderr and the command still runs; with --strict they are errors and it exits 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples"
AS_OF = "2026-11-22T00:00:00Z"
FINDINGS = [
    "funnel_defects.rules:26:5: LR304 band 'tier': 'silver' [20, 45) overlaps 'gold' [40, ...) on [40, 45)",
    "funnel_defects.rules:33:1: LR101 stage 'SQL' is unreachable: `fit >= 70` never holds for a valid lead"
    " (given types, ranges and score bounds)",
    "funnel_defects.rules:37:5: LR302 route entry to 'uk' is never selected: every lead it matches is already"
    " routed to 'emea'",
]
WARNED = [f"leadrules: warning: {line}" for line in FINDINGS] + [
    "leadrules: warning: `leadrules check` rejects funnel_defects.rules; running anyway (--strict refuses)"]
REFUSED = [f"leadrules: error: {line}" for line in FINDINGS] + [
    "leadrules: error: `leadrules check` rejects funnel_defects.rules; refused (--strict)"]


def run(*args: str, cwd: Path = EXAMPLES, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leadrules", *args], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=cwd)


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_eval_warns_and_runs(engine: str) -> None:
    result = run("eval", "funnel_defects.rules", "--as-of", AS_OF, "--engine", engine, stdin="{}\n")
    assert result.returncode == 3
    assert result.stderr.splitlines() == WARNED
    assert result.stdout == ('{"id": 1, "error": {"record": 1, "field": "email", '
                             '"message": "email: required, found nothing"}}\n')


def test_eval_strict_refuses() -> None:
    result = run("eval", "funnel_defects.rules", "--as-of", AS_OF, "--strict", stdin="{}\n")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == REFUSED


@pytest.mark.parametrize("to", ["sql", "lead-schema"])
def test_export_warns_and_exports(to: str) -> None:
    result = run("export", "funnel_defects.rules", "--to", to)
    assert result.returncode == 0
    assert result.stderr.splitlines() == WARNED
    assert result.stdout.strip()


def test_export_strict_refuses() -> None:
    result = run("export", "funnel_defects.rules", "--to", "sql", "--strict")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == REFUSED


def test_export_ast_json_is_not_linted() -> None:
    result = run("export", "funnel_defects.rules", "--to", "ast-json", "--strict")
    assert (result.returncode, result.stderr) == (0, "")


def test_clean_ruleset_is_silent() -> None:
    result = run("eval", "projectflow.rules", "projectflow.leads.jsonl", "--as-of", AS_OF, "--strict")
    assert (result.returncode, result.stderr) == (3, "")


def test_configuration_and_noqa_apply(tmp_path: Path) -> None:
    text = (EXAMPLES / "funnel_defects.rules").read_text().splitlines(keepends=True)
    assert text[36].startswith("    ")  # line 37: the dead route entry
    text[36] = text[36].rstrip("\n") + "  # noqa: LR302\n"
    (tmp_path / "funnel_defects.rules").write_text("".join(text))
    (tmp_path / "leadrules.toml").write_text('ignore = ["LR304"]\n')
    result = run("eval", "funnel_defects.rules", "--as-of", AS_OF, "--strict", cwd=tmp_path, stdin="")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"leadrules: error: {FINDINGS[1]}",
        "leadrules: error: `leadrules check` rejects funnel_defects.rules; refused (--strict)",
    ]
