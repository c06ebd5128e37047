"""The test command: `tests for` files that name themselves or each other, -k, coverage figures, JSON."""

from __future__ import annotations

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
