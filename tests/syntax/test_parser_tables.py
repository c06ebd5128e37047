"""The shipped parser tables: current with the grammar, the same parser as one built from it,
and ignored when they do not match."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark import UnexpectedInput

from leadrules.syntax import parser_tables
from leadrules.syntax.parser import _parser, build_parser, grammar_text
from leadrules.syntax.postlex import IndentPostLexer

ROOT = Path(__file__).resolve().parents[2]
_RULE_FILES = sorted((ROOT / "rulesets").glob("*.rules")) + sorted((ROOT / "tests" / "fixtures").rglob("*.rules"))
_BROKEN = [
    'ruleset "r" version "1"\nfield f: integer\ncondition c = f >\n',
    'ruleset "r" version "1"\nscore s:\n    +10 if\n',
    'ruleset "r" version "1"\nfield f integer\n',
    'ruleset "r" version "1"\ncondition c = (f > 1\n',
]


def test_the_shipped_tables_were_built_from_this_grammar() -> None:
    tables = parser_tables.load(grammar_text(), postlex=IndentPostLexer(), propagate_positions=True)
    assert tables is not None, "parser_tables.bin is stale: run `python -m leadrules.syntax`"
    assert _parser().source_path == "<deserialized>"


@pytest.fixture(scope="module")
def built() -> object:
    return build_parser(grammar_text())


@pytest.mark.parametrize("path", _RULE_FILES, ids=lambda p: p.name)
def test_the_loaded_parser_builds_the_same_trees(path: Path, built: object) -> None:
    text = path.read_text(encoding="utf-8")
    assert _parser().parse(text) == built.parse(text)  # type: ignore[attr-defined]


def _error(parser: object, text: str) -> tuple[str, int, int, tuple[str, ...]]:
    with pytest.raises(UnexpectedInput) as caught:
        parser.parse(text)  # type: ignore[attr-defined]
    error = caught.value
    accepts = getattr(error, "accepts", None) or getattr(error, "expected", None) or getattr(error, "allowed", ())
    return type(error).__name__, error.line, error.column, tuple(sorted(accepts))


@pytest.mark.parametrize("text", _BROKEN)
def test_the_loaded_parser_fails_where_and_as_the_built_one_does(text: str, built: object) -> None:
    assert _error(_parser(), text) == _error(built, text)


def test_tables_of_another_grammar_are_not_used() -> None:
    grammar = grammar_text()
    assert parser_tables.load(grammar + "\n// edited\n", postlex=IndentPostLexer(), propagate_positions=True) is None
    assert parser_tables.tables_key(grammar) != parser_tables.tables_key(grammar + " ")
