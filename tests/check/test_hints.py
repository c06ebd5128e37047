"""Diagnostics for common mistakes: exact code, message, line, column and hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadrules.check.symbols import did_you_mean, edit_distance
from leadrules.workspace import load_file

HEADER = 'ruleset "x" version "1"\nfield role: one of ["student", "manager"]\nfield n: integer\n'


def diagnostics(tmp_path: Path, text: str) -> list[tuple[str, str, int, int, str | None]]:
    path = tmp_path / "t.rules"
    path.write_text(text)
    return [(d.code, d.message, d.span.line, d.span.column, d.hint) for d in load_file(path).diagnostics]


OPERATOR_HINT = "conditions combine with `and`, `or` and `not`"
CASE_HINT = "keywords are lower-case: `and`, `or`, `not`"
EQUALS_HINT = "compare with `==`; a single `=` only follows the name in `condition NAME =` and `list NAME =`"


@pytest.mark.parametrize(("condition", "expected"), [
    ('role = "manager"',
     ("LR001", "'=' is not a comparison (did you mean `==`?)", 4, 20, EQUALS_HINT)),
    ('n > 1 && n < 5', ("LR001", "'&&' is not an operator; use `and`", 4, 21, OPERATOR_HINT)),
    ('n > 1 || n < 5', ("LR001", "'||' is not an operator; use `or`", 4, 21, OPERATOR_HINT)),
    ('n > 1 AND n < 5', ("LR001", "'AND' is not an operator; use `and`", 4, 21, CASE_HINT)),
    ('n > 1 OR n < 5', ("LR001", "'OR' is not an operator; use `or`", 4, 21, CASE_HINT)),
    ('n > 1 Or n < 5', ("LR001", "'Or' is not an operator; use `or`", 4, 21, CASE_HINT)),
    ("role == 'manager'", ("LR001", "single-quoted string; use double quotes", 4, 23, 'write "manager"')),
    ("role == 'man", ("LR001", "single-quoted string; use double quotes", 4, 23,
                      'write strings in double quotes: "like this"')),
    ('role == manager', ("LR002", "unknown name 'manager'", 4, 23, 'did you mean the text "manager"?')),
    ('manager != role', ("LR002", "unknown name 'manager'", 4, 15, 'did you mean the text "manager"?')),
    ('role == boss', ("LR002", "unknown name 'boss'", 4, 23, "declare it, e.g. `field boss: text`")),
])
def test_common_mistakes_in_a_condition(tmp_path: Path, condition: str,
                                        expected: tuple[str, str, int, int, str | None]) -> None:
    assert diagnostics(tmp_path, HEADER + f"condition c = {condition}\n") == [expected]


def test_equals_in_an_expect_line(tmp_path: Path) -> None:
    text = 'ruleset "x" version "1"\nstages Lead -> MQL\ntest "t":\n    as of "2026-01-01"\n' \
           '    lead {}\n    expect stage = "Lead"\n'
    assert diagnostics(tmp_path, text) == [
        ("LR001", "'=' is not a comparison (did you mean `==`?)", 6, 18, EQUALS_HINT)]


def test_a_band_label_written_as_a_name(tmp_path: Path) -> None:
    text = HEADER + 'score s:\n    +1 if n > 1\nband grade of s:\n    "A" from 1\ncondition c = grade == A\n'
    assert diagnostics(tmp_path, text) == [("LR002", "unknown name 'A'", 8, 24, 'did you mean the text "A"?')]


@pytest.mark.parametrize("written", ["sal", "SLA", "sAl", "SAl"])
def test_stage_did_you_mean_ignores_case_and_counts_swaps(tmp_path: Path, written: str) -> None:
    text = f'ruleset "x" version "1"\nfield n: integer\nstages Lead -> MQL -> SAL\nstage {written} if n > 1\n'
    assert diagnostics(tmp_path, text) == [
        ("LR006", f"criterion for unknown stage '{written}' (did you mean 'SAL'?)", 4, 7, "stages: Lead -> MQL -> SAL")]


def test_did_you_mean_helper() -> None:
    assert edit_distance("sla", "sal") == 1  # one swap, not two substitutions
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert did_you_mean("sal", ["MQL", "SAL", "Lead"]) == "SAL"
    assert did_you_mean("mql", ["MQL", "SQL"]) == "MQL"  # case-only difference beats one edit
    assert did_you_mean("engagment", ["engagement", "fit"]) == "engagement"
    assert did_you_mean("xyz", ["MQL", "SAL"]) is None
    assert did_you_mean("a", ["b"]) is None  # one-letter names are not guessed at
