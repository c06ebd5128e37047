"""The check command: --emit-tests in the canonical layout, colour, --statistics, stdin, noqa warnings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

WIDE = """ruleset "e" version "1"
field country_of_registration: text
field number_of_employees: integer in 1..100000
field annual_recurring_revenue: number optional
field industry_vertical: one of ["saas", "fintech", "retail"]
event pricing_page_view
stages Lead -> MQL
stage MQL if number_of_employees >= 10 and industry_vertical == "saas"
disqualify tiny "Tiny" if number_of_employees < 2
route MQL:
    to "emea" if country_of_registration in ["GB", "DE", "FR"]
    to "uk" if country_of_registration == "GB"
"""


def leadrules(*args: str, stdin: str | None = None, cwd: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leadrules", *args], capture_output=True, text=True,
                          input=stdin, cwd=cwd, env=env, timeout=120)


@pytest.fixture()
def wide(tmp_path: Path) -> Path:
    path = tmp_path / "e.rules"
    path.write_text(WIDE)
    return path


def test_emitted_tests_are_in_the_canonical_layout(tmp_path: Path, wide: Path) -> None:
    out = tmp_path / "found.rules"
    leadrules("check", str(wide), "--emit-tests", str(out))
    assert out.read_text() == (
        'tests for "e.rules"\n'
        "\n"
        "test \"LR303 line 10: a lead can end in 'MQL' and match no route entry\":\n"
        '    as of "2026-11-22T00:00:00Z"\n'
        '    lead {"country_of_registration": "other", "number_of_employees": 100,\n'
        '          "industry_vertical": "saas", "events": []}\n'
        '    expect stage == "MQL"\n'
        "    expect route == null\n"
    )
    checked = leadrules("fmt", "--check", str(out))
    assert (checked.returncode, checked.stdout) == (0, "")
    assert leadrules("test", str(out)).returncode == 0
