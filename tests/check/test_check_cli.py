"""`leadrules check` from the command line: folders, JSON output, unreadable input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

BAD = 'ruleset "bad" version "1"\nfield role: one of ["a", "b"]\ncondition c = role == "c" and missing_name\n'


def test_check_on_the_rulesets_folder_is_clean(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", str(REPO / "rulesets"))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "error" not in result.stdout


def test_check_a_folder_recursively_reports_each_file(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.rules").write_text(BAD, encoding="utf-8")
    (tmp_path / "good.rules").write_text('ruleset "g" version "1"\n', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a rule file", encoding="utf-8")
    result = run_cli("check", "--format", "json", str(tmp_path))
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    assert [(Path(f["file"]).name, f["code"], f["line"], f["column"]) for f in findings] == [
        ("bad.rules", "LR004", 3, 23),
        ("bad.rules", "LR002", 3, 31),
    ]


def test_json_format_shape(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.rules"
    path.write_text(BAD, encoding="utf-8")
    result = run_cli("check", "--format", "json", str(path))
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    assert isinstance(findings, list) and len(findings) == 2
    for finding in findings:
        assert {"code", "severity", "file", "line", "column", "message"} <= set(finding)
        assert finding["severity"] == "error" and finding["file"] == str(path)
        assert isinstance(finding["line"], int) and isinstance(finding["column"], int)
    assert findings[0]["message"] == "'c' is not a value of field 'role'"


def test_text_format_is_rustc_style(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.rules"
    path.write_text(BAD, encoding="utf-8")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert result.stdout.startswith(
        f"{path}:3:23: LR004 error: 'c' is not a value of field 'role'\n"
        "  |\n"
        '3 | condition c = role == "c" and missing_name\n'
        "  |                       ^^^\n"
    )


def test_non_utf8_file_is_a_one_line_error_with_exit_2(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "latin1.rules"
    path.write_bytes('ruleset "caf\u00e9" version "1"\n'.encode("latin-1"))
    result = run_cli("check", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"leadrules: error: {path}: not UTF-8 text (invalid byte at offset 12)\n"
    assert result.stdout == ""


def test_missing_file_is_exit_2(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", str(tmp_path / "nope.rules"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "no such file" in result.stderr


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_exit_2(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "secret.rules"
    path.write_text('ruleset "x" version "1"\n', encoding="utf-8")
    path.chmod(0)
    try:
        result = run_cli("check", str(path))
    finally:
        path.chmod(0o644)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"leadrules: error: {path}: cannot read")


def test_deeply_nested_file_via_cli_is_lr001_not_a_crash(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "deep.rules"
    path.write_text('ruleset "x" version "1"\nfield a: integer\ncondition c = ' + "(" * 3000 + "a" + ")" * 3000 + "\n",
                    encoding="utf-8")
    result = run_cli("check", "--format", "json", str(path))
    assert result.exit_code == 1
    assert [f["code"] for f in json.loads(result.stdout)] == ["LR001"]
    assert "Traceback" not in result.stderr
