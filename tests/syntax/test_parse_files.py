"""Every spec example and shipped ruleset parses and checks; spans and comments are exact."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from leadrules.check import check
from leadrules.source import SourceFile
from leadrules.syntax import ast, parse
from leadrules.workspace import collect_rule_files, load_file

REPO = Path(__file__).resolve().parents[2]
RULESETS = sorted((REPO / "rulesets").rglob("*.rules"))
EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples").glob("*.rules"))


@pytest.mark.parametrize("path", EXAMPLES + RULESETS, ids=lambda p: p.name if p in EXAMPLES else str(p.relative_to(REPO)))
def test_file_parses_and_checks_without_errors(path: Path) -> None:
    loaded = load_file(path)
    assert loaded.module is not None
    assert [d for d in loaded.diagnostics if d.level.value == "error"] == []
    assert loaded.tests_target is not None
    if path.name != "funnel_defects.rules":
        assert loaded.tests, "every ruleset and the worked example carry test cases"


def test_the_three_rulesets_and_the_tests_file_are_collected() -> None:
    names = [str(p.relative_to(REPO)) for p in collect_rule_files([str(REPO / "rulesets")])]
    assert names == [
        "rulesets/fit_engagement.rules",
        "rulesets/product_led_trial.rules",
        "rulesets/score_grade.rules",
        "rulesets/tests/fit_engagement.rules",
    ]


def _parse(text: str) -> ast.Module:
    module, diagnostics = parse(SourceFile("t.rules", text))
    assert diagnostics == [] and module is not None
    return module


def test_statement_and_block_spans_end_at_their_last_code_character() -> None:
    module = _parse(
        'ruleset "x" version "1"  # header\n'
        "field a: integer\n"
        "score s (max 10):  # block\n"
        "    +1 if a > 1  # first\n"
        "    +2 if (a > 2 or\n"
        "           a < 0)\n"
        "    # trailing comment in the block\n"
        "event e\n"
    )
    ruleset, field, score, event = module.statements
    assert (ruleset.span.line, ruleset.span.column, ruleset.span.end_line, ruleset.span.end_column) == (1, 1, 1, 24)
    assert (field.span.line, field.span.end_line, field.span.end_column) == (2, 2, 17)
    assert isinstance(score, ast.ScoreDecl)
    assert (score.span.line, score.span.end_line, score.span.end_column) == (3, 6, 18)
    first, second = score.rules
    assert (first.span.line, first.span.column, first.span.end_line, first.span.end_column) == (4, 5, 4, 16)
    assert (second.span.line, second.span.end_line, second.span.end_column) == (5, 6, 18)
    assert (event.span.line, event.span.end_line) == (8, 8)


def test_comments_are_collected_with_positions_and_kind() -> None:
    module = _parse('# top\nruleset "x # not a comment" version "1"  # end\n')
    assert [(c.text, c.span.line, c.span.column, c.own_line) for c in module.comments] == [
        ("# top", 1, 1, True),
        ("# end", 2, 42, False),
    ]


def test_numbers_are_exact_decimals_and_units_are_normalised() -> None:
    module = _parse(
        'ruleset "x" version "1"\nfield a: number\nevent e\n'
        "condition c = a > 0.1 and has e in last 1 day and count(e in last 2 weeks) >= 2\n"
    )
    condition = module.statements[3]
    assert isinstance(condition, ast.ConditionDecl) and isinstance(condition.condition, ast.And)
    compare, has, count = condition.condition.operands
    assert isinstance(compare, ast.Compare) and compare.right == ast.Number(compare.right.span, Decimal("0.1"))
    assert isinstance(has, ast.HasEvent) and has.window is not None
    assert (has.window.amount, has.window.unit, has.window.seconds) == (1, "days", 86400)
    assert isinstance(count, ast.Compare) and isinstance(count.left, ast.CountEvent)
    assert count.left.window is not None and count.left.window.unit == "weeks"


def test_disqualifier_codes_may_reuse_a_field_name() -> None:
    module = _parse(
        'ruleset "x" version "1"\nfield unsubscribed: boolean\n'
        'disqualify unsubscribed "Opted out" if unsubscribed\n'
    )
    model, diagnostics = check(module)
    assert diagnostics == [] and model is not None


def test_crlf_and_bom_files_parse(tmp_path: Path) -> None:
    path = tmp_path / "crlf.rules"
    path.write_bytes(b'\xef\xbb\xbfruleset "x" version "1"\r\nfield a: integer\r\nscore s:\r\n    +1 if a > 1\r\n')
    loaded = load_file(path)
    assert loaded.diagnostics == [] and loaded.model is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'a ruleset starts with `ruleset "name" version "v"`'),
        ("# only a comment\n", 'a ruleset starts with `ruleset "name" version "v"`'),
        ('ruleset "x" version "1"\nfield min: integer\n', "'min' is a reserved word and cannot name a field"),
        ('ruleset "x" version "1"\nevent count\n', "'count' is a reserved word and cannot name an event"),
        ('ruleset "x" version "1"\nfield a: integer\ncondition c = a > 1e3\n', "number '1e3' uses an exponent"),
        ('ruleset "x" version "1"\nevent e\ncondition c = has e in last 1.5 days\n',
         "a duration takes a whole number"),
        ('ruleset "x" version "1"\ntests for "a.rules"\n',
         "`tests for` starts a tests file and cannot follow a `ruleset` header"),
    ],
)
def test_syntax_errors_are_single_lr001_diagnostics(text: str, message: str) -> None:
    loaded_module, diagnostics = parse(SourceFile("t.rules", text))
    if loaded_module is not None:
        _, diagnostics = check(loaded_module)
    assert [(d.code, d.message) for d in diagnostics] == [("LR001", message)]


def test_deep_parentheses_give_a_clean_lr001() -> None:
    text = 'ruleset "x" version "1"\nfield a: integer\ncondition c = ' + "(" * 3000 + "a > 1" + ")" * 3000 + "\n"
    module, diagnostics = parse(SourceFile("deep.rules", text))
    assert module is None
    assert [(d.code, d.span.line, d.span.column, d.message) for d in diagnostics] == [
        ("LR001", 3, 79, "brackets nested more than 64 deep")
    ]


def test_long_operator_chains_do_not_exhaust_the_stack() -> None:
    chain = " and ".join(f"a > {i}" for i in range(3000))
    text = f'ruleset "x" version "1"\nfield a: integer\ncondition c = {chain}\n'
    module, diagnostics = parse(SourceFile("long.rules", text))
    assert diagnostics == [] and module is not None
    model, check_diagnostics = check(module)
    assert check_diagnostics == [] and model is not None
