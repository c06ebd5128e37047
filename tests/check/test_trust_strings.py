"""Rule strings are real text: a lone surrogate escape or a NUL is LR001 at the escape (spec
section 9); a high and a low surrogate escape together are one character, as in JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leadrules.check import check
from leadrules.source import SourceFile
from leadrules.syntax import ast, parse

SURROGATE_HINT = ("write the character itself; one beyond U+FFFF may also be written as a pair of escapes, "
                  "high then low (\\ud83d\\ude00)")
NUL_HINT = "NUL cannot be carried into SQL text (PostgreSQL refuses it); remove it"

BAD = (
    'ruleset "s" version "1"\n'
    "field t: text optional\n"
    'condition a = t == "ab\\udc80"\n'
    'condition b = t == "\\ud800"\n'
    'condition c = t == "x\\u0000y"\n'
    'condition d = t == "x\0y"\n'
    'description "\\uD800\\uD800"\n'
    'condition e = t == "\\ud83d\\ude00"\n'
)


def _diagnostics(text: str) -> list[tuple[str, int, int, int, int, str, str | None]]:
    _, found = parse(SourceFile("s.rules", text))
    return [(d.code, d.span.line, d.span.column, d.span.end_line, d.span.end_column, d.message, d.hint)
            for d in found]


def test_lone_surrogates_and_nul_are_lr001_at_the_escape() -> None:
    assert _diagnostics(BAD) == [
        ("LR001", 3, 23, 3, 29, "'\\udc80' is a lone surrogate, not a character", SURROGATE_HINT),
        ("LR001", 4, 21, 4, 27, "'\\ud800' is a lone surrogate, not a character", SURROGATE_HINT),
        ("LR001", 5, 22, 5, 28, "NUL is not allowed in a string", NUL_HINT),
        ("LR001", 6, 22, 6, 23, "NUL is not allowed in a string", NUL_HINT),
        ("LR001", 7, 14, 7, 20, "'\\uD800' is a lone surrogate, not a character", SURROGATE_HINT),
    ]


def test_a_surrogate_pair_is_one_character() -> None:
    text = ('ruleset "s" version "1"\nfield t: text optional\ncondition e = t == "\\ud83d\\ude00!"\n'
            'condition f = t == "\\u00e9\\u4e2d"\n')
    module, found = parse(SourceFile("s.rules", text))
    assert found == [] and module is not None
    model, found = check(module)
    assert found == [] and model is not None
    literals = [c.expr.right.value for c in model.conditions.values()]  # type: ignore[union-attr]
    assert literals == ["\U0001F600!", "é中"]


def test_a_low_before_a_high_surrogate_is_not_a_pair() -> None:
    text = 'ruleset "s" version "1"\ndescription "\\ude00\\ud83d"\n'
    assert _diagnostics(text) == [
        ("LR001", 2, 14, 2, 20, "'\\ude00' is a lone surrogate, not a character", SURROGATE_HINT),
    ]


def test_a_surrogate_in_a_test_lead_is_lr001() -> None:
    text = ('ruleset "s" version "1"\nfield t: text optional\n'
            'test "x":\n    as of "2026-11-22T00:00:00Z"\n    lead {"t": "\\udc80"}\n    expect stage == null\n')
    assert _diagnostics(text) == [
        ("LR001", 5, 17, 5, 23, "'\\udc80' is a lone surrogate, not a character", SURROGATE_HINT),
    ]


@pytest.mark.parametrize("args", [
    ("check",),
    ("export", "--to", "sql"),
    ("export", "--to", "sql", "--dialect", "postgres"),
    ("export", "--to", "ast-json"),
    ("eval", "--engine", "python", "--as-of", "2026-11-22T00:00:00Z"),
    ("eval", "--engine", "duckdb", "--as-of", "2026-11-22T00:00:00Z"),
])
def test_commands_report_the_escape_instead_of_failing(tmp_path: Path, run_cli: Any, args: tuple[str, ...]) -> None:
    path = tmp_path / "s.rules"
    path.write_text('ruleset "s" version "1"\nfield t: text optional\nstages Lead -> MQL\nstage MQL if t == "\\udc80"\n',
                    encoding="utf-8")
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"t": "x"}\n', encoding="utf-8")
    command, *options = args
    extra = [str(leads)] if command == "eval" else []
    result = run_cli(command, str(path), *extra, *options, "--format", "json") if command == "check" \
        else run_cli(command, str(path), *extra, *options)
    assert result.exit_code == 1
    assert "internal error" not in result.stderr
    if command == "check":
        found = json.loads(result.stdout)
        assert [(d["code"], d["line"], d["column"], d["message"]) for d in found] == [
            ("LR001", 4, 20, "'\\udc80' is a lone surrogate, not a character"),
        ]
    else:
        assert "s.rules:4:20: LR001 error: '\\udc80' is a lone surrogate, not a character" in result.stdout + result.stderr


def test_pair_string_matches_in_both_engines(tmp_path: Path, run_cli: Any) -> None:
    path = tmp_path / "s.rules"
    path.write_text('ruleset "s" version "1"\nfield t: text optional\nstages Lead -> MQL\n'
                    'stage MQL if t == "\\ud83d\\ude00"\n', encoding="utf-8")
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": 1, "t": "\U0001F600"}\n{"id": 2, "t": "x"}\n', encoding="utf-8")
    outputs = []
    for engine in ("python", "duckdb"):
        result = run_cli("eval", str(path), str(leads), "--engine", engine, "--as-of", "2026-11-22T00:00:00Z")
        assert result.exit_code == 0, result.stderr
        outputs.append([(r["id"], r["stage"]) for r in map(json.loads, result.stdout.splitlines())])
    assert outputs == [[(1, "MQL"), (2, "Lead")]] * 2


def test_string_node_holds_the_decoded_pair() -> None:
    module, _ = parse(SourceFile("s.rules", 'ruleset "\\ud83d\\ude00" version "1"\n'))
    assert module is not None
    header = module.statements[0]
    assert isinstance(header, ast.RulesetDecl) and header.name.value == "\U0001F600"
