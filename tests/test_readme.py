"""The README's first-ruleset walkthrough runs as written: the ruleset checks clean, its test
passes and `eval` prints exactly the results shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadrules.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## A first ruleset", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.*?)```", section, re.S)


def test_walkthrough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules, checked, tested, leads, evaluated = _blocks()
    (tmp_path / "acme.rules").write_text(rules, encoding="utf-8")
    (tmp_path / "leads.jsonl").write_text(leads, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the commands name the files as the README does
    runner = CliRunner()
    check = runner.invoke(cli, ["check", "acme.rules"], catch_exceptions=False)
    assert (check.exit_code, check.stdout, check.stderr) == (0, "", checked.split("\n", 1)[1])
    test = runner.invoke(cli, ["test", "acme.rules"], catch_exceptions=False)
    assert (test.exit_code, test.stdout) == (0, tested.split("\n", 1)[1])
    command, expected = evaluated.split("\n", 1)
    assert command == "$ leadrules eval acme.rules leads.jsonl --as-of 2026-11-22"
    result = runner.invoke(cli, command.split()[2:], catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (3, expected)
