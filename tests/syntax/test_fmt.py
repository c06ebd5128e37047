"""The formatter: exact canonical output, comments kept, idempotence, and the `fmt` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadrules.io.fmt import format_module, quote
from leadrules.source import SourceFile
from leadrules.syntax import parse

REPO = Path(__file__).resolve().parents[2]


def fmt(text: str) -> str:
    source = SourceFile("t.rules", text)
    module, diagnostics = parse(source)
    assert diagnostics == [] and module is not None
    return format_module(module, source)


MESSY = '''# Header comment

ruleset   "demo"   version "1"
owner "ops@example.com"
field role : one of [ "a","b" ]   # roles
field n: integer in 1 .. 10
field  x: number optional
event  e
list l = ["p" , "q"]
condition c = ( role == "a" or role == "b" ) and not ( n > 2 )
score s ( max 100 , min 0 ) :
  # leading own-line comment
  lab : +10 if (n + 2) * 3 >= 7 - (1 - n)
  -5.50 per e in last 1 day ( max 20 )
band g of s:
  "A" from 50
  "B" to 50
disqualify d "Why" at MQL if x is missing
stages Lead->MQL
stage MQL if s>=10 and (c or n between 1 and 3)   # criterion
route MQL:
  to "t" if role in l
  otherwise to "u"
test "t1":
  as of "2026-01-01T00:00:00Z"
  lead {"role":"a","n":1, "x": 2.50, "events":[]}
  expect s == 10
'''

CANONICAL = '''# Header comment

ruleset "demo" version "1"
owner "ops@example.com"

field role: one of ["a", "b"]  # roles
field n: integer in 1..10
field x: number optional

event e

list l = ["p", "q"]

condition c = (role == "a" or role == "b") and not n > 2

score s (max 100, min 0):
    # leading own-line comment
    lab: +10 if (n + 2) * 3 >= 7 - (1 - n)
    -5.50 per e in last 1 day (max 20)

band g of s:
    "A" from 50
    "B" to 50

disqualify d "Why" at MQL if x is missing

stages Lead -> MQL
stage MQL if s >= 10 and (c or n between 1 and 3)  # criterion

route MQL:
    to "t" if role in l
    otherwise to "u"

test "t1":
    as of "2026-01-01T00:00:00Z"
    lead {"role": "a", "n": 1, "x": 2.50, "events": []}
    expect s == 10
'''


def test_messy_file_gets_the_canonical_layout() -> None:
    assert fmt(MESSY) == CANONICAL


def test_canonical_text_is_a_fixed_point() -> None:
    assert fmt(CANONICAL) == CANONICAL


@pytest.mark.parametrize(
    "path",
    sorted((REPO / "rulesets").rglob("*.rules")) + sorted((REPO / "tests" / "fixtures" / "spec_examples").glob("*.rules")),
    ids=lambda p: p.name,
)
def test_shipped_files_are_already_canonical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert fmt(text) == text


def test_comments_inside_a_joined_statement_stay_on_its_line() -> None:
    text = (
        'ruleset "x" version "1"\nfield a: integer\n'
        "condition c = (a > 1 or  # first\n"
        "    # own line\n"
        "    a < 0)  # last\n"
    )
    assert fmt(text) == (
        'ruleset "x" version "1"\n\nfield a: integer\n\n'
        "# own line\n"
        "condition c = a > 1 or a < 0  # first  # last\n"
    )


def test_indented_comments_after_a_block_stay_in_the_block() -> None:
    text = 'ruleset "x" version "1"\nfield a: integer\nscore s:\n    +1 if a > 1\n    # +2 if a > 2\nevent e\n'
    out = fmt(text)
    assert out == (
        'ruleset "x" version "1"\n\nfield a: integer\n\nscore s:\n    +1 if a > 1\n    # +2 if a > 2\n\nevent e\n'
    )
    assert fmt(out) == out


def test_blank_line_inside_a_group_is_kept_but_not_doubled() -> None:
    text = 'ruleset "x" version "1"\nfield a: integer\n\n\n\nfield b: integer\nfield c: integer\n'
    assert fmt(text) == 'ruleset "x" version "1"\n\nfield a: integer\n\nfield b: integer\nfield c: integer\n'


@pytest.mark.parametrize(
    ("condition", "canonical"),
    [
        ("a > 1 or (b > 1 or a > 2)", "a > 1 or (b > 1 or a > 2)"),
        ("(a > 1 or b > 1) or a > 2", "(a > 1 or b > 1) or a > 2"),
        ("not (a > 1 and b > 1)", "not (a > 1 and b > 1)"),
        ("not not a > 1", "not not a > 1"),
        ("a - (b - 1) > -3", "a - (b - 1) > -3"),
        ("(a - b) - 1 > 0", "(a - b) - 1 > 0"),
        ("2 * (a + b) == a * -2", "2 * (a + b) == a * -2"),
        ("-(a + b) < - 4", "-(a + b) < -4"),
        ("+a >= 1", "a >= 1"),
        ("a between 1 - b and b + 1", "a between 1 - b and b + 1"),
        ("t starts  with \"x\" and t ends with \"y\"", 't starts with "x" and t ends with "y"'),
        ("t not in [\"x\",\"y\"] or t is present", 't not in ["x", "y"] or t is present'),
    ],
)
def test_minimal_parentheses(condition: str, canonical: str) -> None:
    head = 'ruleset "x" version "1"\nfield a: integer\nfield b: integer\nfield t: text optional\n\n'
    out = fmt(head + f"condition c = {condition}\n")
    assert out.splitlines()[-1] == f"condition c = {canonical}"


def test_strings_are_re_escaped() -> None:
    assert quote('say "hi"\\\n\t\u00e9\x01') == '"say \\"hi\\"\\\\\\n\\t\u00e9\\u0001"'
    text = 'ruleset "a\\u0022b\\tc" version "1"\n'
    assert fmt(text) == 'ruleset "a\\"b\\tc" version "1"\n'


def test_long_lead_literals_are_wrapped_canonically() -> None:
    events = ", ".join(f'{{"type": "e", "at": "2026-01-0{i}T00:00:00Z"}}' for i in range(1, 4))
    text = (
        'ruleset "x" version "1"\nfield first_name_of_the_lead: text\nfield last_name_of_the_lead: text\nevent e\n'
        "test \"t\":\n"
        '    as of "2026-01-10T00:00:00Z"\n'
        f'    lead {{"first_name_of_the_lead": "Alexandra", "last_name_of_the_lead": "Montgomery", "events": [{events}]}}\n'
        '    expect stage == "Lead"\n'
    )
    out = fmt(text)
    assert out.split("test \"t\":\n")[1] == (
        '    as of "2026-01-10T00:00:00Z"\n'
        '    lead {"first_name_of_the_lead": "Alexandra", "last_name_of_the_lead": "Montgomery",\n'
        '          "events": [{"type": "e", "at": "2026-01-01T00:00:00Z"},\n'
        '                     {"type": "e", "at": "2026-01-02T00:00:00Z"},\n'
        '                     {"type": "e", "at": "2026-01-03T00:00:00Z"}]}\n'
        '    expect stage == "Lead"\n'
    )
    assert fmt(out) == out


# ---- the command -------------------------------------------------------------------------------


def test_fmt_rewrites_in_place(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.rules"
    path.write_text(MESSY, encoding="utf-8")
    result = run_cli("fmt", str(path))
    assert result.exit_code == 0
    assert path.read_text(encoding="utf-8") == CANONICAL
    assert run_cli("fmt", "--check", str(path)).exit_code == 0


def test_fmt_check_writes_nothing_and_exits_1(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.rules"
    path.write_text(MESSY, encoding="utf-8")
    result = run_cli("fmt", "--check", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout == f"would reformat {path}\n"
    assert path.read_text(encoding="utf-8") == MESSY


def test_fmt_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.rules"
    path.write_text('ruleset "x" version "1"\nfield a:integer\n', encoding="utf-8")
    result = run_cli("fmt", "--diff", str(path))
    assert result.exit_code == 0
    assert result.stdout == (
        f"--- {path}\n+++ {path} (formatted)\n@@ -1,2 +1,3 @@\n"
        ' ruleset "x" version "1"\n-field a:integer\n+\n+field a: integer\n'
    )
    assert path.read_text(encoding="utf-8") == 'ruleset "x" version "1"\nfield a:integer\n'
    assert run_cli("fmt", "--diff", "--check", str(path)).exit_code == 1


def test_fmt_leaves_a_file_with_syntax_errors_untouched(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.rules"
    broken = 'ruleset "x" version "1"\nscore s (max 10)\n    +1 if a\n'
    path.write_text(broken, encoding="utf-8")
    result = run_cli("fmt", str(path))
    assert result.exit_code == 1
    assert f"{path}:2:17: LR001 error: expected ':' at the end of the score header" in result.stderr
    assert path.read_text(encoding="utf-8") == broken


def test_fmt_handles_tests_for_files(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "extra.rules"
    path.write_text('tests for "../x.rules"\ntest "t":\n  as of "2026-01-01"\n  lead {}\n  expect stage=="Lead"\n',
                    encoding="utf-8")
    assert run_cli("fmt", str(path)).exit_code == 0
    assert path.read_text(encoding="utf-8") == (
        'tests for "../x.rules"\n\ntest "t":\n    as of "2026-01-01"\n    lead {}\n    expect stage == "Lead"\n'
    )
