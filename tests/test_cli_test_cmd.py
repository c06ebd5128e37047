"""The test command: `tests for` files that name themselves or each other, -k, coverage figures, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def leadrules(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leadrules", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


SELF_ERROR = """self.rules:1:11: LR002 error: tests for 'self.rules' names this file itself, not a ruleset
  |
1 | tests for "self.rules"
  |           ^^^^^^^^^^^^
  = help: name the ruleset file the tests run against (the file that starts with `ruleset`)
"""


@pytest.mark.parametrize("command", ["check", "test"])
def test_a_tests_file_that_names_itself_is_one_diagnostic(tmp_path: Path, command: str) -> None:
    (tmp_path / "self.rules").write_text('tests for "self.rules"\n')
    proc = leadrules(command, "self.rules", cwd=tmp_path)
    assert proc.returncode == 1
    if command == "check":
        assert proc.stdout == SELF_ERROR
        assert proc.stderr == "1 file(s) checked, 1 error(s), 0 warning(s), 0 info\n"
    else:
        assert proc.stderr == SELF_ERROR
        assert proc.stdout == "0 passed, 0 failed (1 file(s) with errors)\n"


def test_two_tests_files_that_name_each_other(tmp_path: Path) -> None:
    (tmp_path / "a.rules").write_text('tests for "b.rules"\n')
    (tmp_path / "b.rules").write_text('\n\ntests for "a.rules"\n')
    proc = leadrules("test", "a.rules", "b.rules", cwd=tmp_path)
    assert proc.returncode == 1
    hint = "  = help: name the ruleset file the tests run against (the file that starts with `ruleset`); "
    assert proc.stderr == (
        "a.rules:1:11: LR002 error: tests for 'b.rules' names a `tests for` file, not a ruleset\n"
        "  |\n"
        '1 | tests for "b.rules"\n'
        "  |           ^^^^^^^^^\n"
        + hint + "'b.rules' itself tests \"a.rules\"\n"
        "b.rules:3:11: LR002 error: tests for 'a.rules' names a `tests for` file, not a ruleset\n"
        "  |\n"
        '3 | tests for "a.rules"\n'
        "  |           ^^^^^^^^^\n"
        + hint + "'a.rules' itself tests \"b.rules\"\n"
    )
    assert proc.stdout == "0 passed, 0 failed (2 file(s) with errors)\n"


SUITE = """ruleset "s" version "1"
field n: integer
score fit:
    +10 if n > 5
    +20 if n > 50
disqualify tiny "Tiny" if n < 1
stages Lead -> MQL
stage MQL if fit >= 10

test "Big lead is an MQL":
    as of "2026-01-01T00:00:00Z"
    lead {"n": 10}
    expect stage == "MQL"

test "small lead stays a Lead":
    as of "2026-01-01T00:00:00Z"
    lead {"n": 2}
    expect stage == "Lead"

test "huge one is wrong on purpose":
    as of "2026-01-01T00:00:00Z"
    lead {"n": 100}
    expect fit == 20
"""


@pytest.fixture()
def suite(tmp_path: Path) -> Path:
    (tmp_path / "s.rules").write_text(SUITE)
    return tmp_path


def test_match_runs_only_the_tests_whose_name_contains_the_pattern(suite: Path) -> None:
    proc = leadrules("test", "s.rules", "-k", "LEAD", cwd=suite)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout == ("PASS s.rules:10 Big lead is an MQL\n"
                           "PASS s.rules:15 small lead stays a Lead\n"
                           "2 passed, 0 failed, 1 deselected\n")
    proc = leadrules("test", "s.rules", "--match", "small", cwd=suite)
    assert (proc.returncode, proc.stdout) == (0, "PASS s.rules:15 small lead stays a Lead\n"
                                                 "1 passed, 0 failed, 2 deselected\n")


def test_a_pattern_that_matches_no_test_is_an_error(suite: Path) -> None:
    proc = leadrules("test", "s.rules", "-k", "nothing like it", cwd=suite)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == ('leadrules: error: -k "nothing like it": no test name contains it '
                           "(3 test(s) deselected)\n")


def test_coverage_is_a_percentage(suite: Path) -> None:
    proc = leadrules("test", "s.rules", "-k", "lead", "--coverage", cwd=suite)
    # 4 items: two rules, one disqualifier, one criterion; the tests fire `+10 if n > 5` and MQL's criterion
    assert proc.stdout.splitlines()[2:] == [
        "coverage s.rules: 50.0% exercised (2 of 4); 2 not exercised by any test:",
        "  5: rule: score fit: +20 if n > 50",
        "  6: disqualifier: disqualify tiny",
        "2 passed, 0 failed, 1 deselected",
    ]


@pytest.mark.parametrize(("threshold", "status", "message"), [
    ("50", 0, ""),
    ("66.7", 1, "coverage 50.0% is below --coverage-threshold 66.7%\n"),
    ("100", 1, "coverage 50.0% is below --coverage-threshold 100%\n"),
])
def test_coverage_threshold(suite: Path, threshold: str, status: int, message: str) -> None:
    proc = leadrules("test", "s.rules", "-k", "lead", "--coverage-threshold", threshold, cwd=suite)
    assert (proc.returncode, proc.stderr) == (status, message)
    assert proc.stdout.endswith("2 passed, 0 failed, 1 deselected\n")


def test_coverage_rounds_down_so_the_figure_never_overstates() -> None:
    from decimal import Decimal

    from leadrules.suite import coverage_percent

    assert coverage_percent(2, 3) == Decimal("66.6")
    assert coverage_percent(1999, 2000) == Decimal("99.9")
    assert coverage_percent(0, 0) == Decimal("100.0")


def test_json_format(suite: Path) -> None:
    proc = leadrules("test", "s.rules", "--format", "json", cwd=suite)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["tests"] == [
        {"file": "s.rules", "line": 10, "name": "Big lead is an MQL", "outcome": "passed", "error": None,
         "mismatches": []},
        {"file": "s.rules", "line": 15, "name": "small lead stays a Lead", "outcome": "passed", "error": None,
         "mismatches": []},
        {"file": "s.rules", "line": 20, "name": "huge one is wrong on purpose", "outcome": "failed",
         "error": None, "mismatches": [{"key": "fit", "expected": 20, "actual": 30}]},
    ]
    assert report["results"] == {"passed": 2, "failed": 1, "deselected": 0, "files_with_errors": 0}
    assert report["errors"] == []
    assert report["coverage"] == {
        "percent": 75.0, "covered": 3, "total": 4,
        "rulesets": [{"file": "s.rules", "percent": 75.0, "covered": 3, "total": 4,
                      "missing": [{"line": 6, "kind": "disqualifier", "text": "disqualify tiny"}]}],
    }


def test_json_format_reports_ruleset_errors(tmp_path: Path) -> None:
    (tmp_path / "self.rules").write_text('tests for "self.rules"\n')
    proc = leadrules("test", "self.rules", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr == ""
    report = json.loads(proc.stdout)
    assert [(e["code"], e["line"], e["column"]) for e in report["errors"]] == [("LR002", 1, 11)]
    assert report["results"] == {"passed": 0, "failed": 0, "deselected": 0, "files_with_errors": 1}
    assert report["coverage"] == {"percent": 100.0, "covered": 0, "total": 0, "rulesets": []}
