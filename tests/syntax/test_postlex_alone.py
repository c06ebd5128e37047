"""The indentation post-lexer on hand-made token streams, without the parser."""

from __future__ import annotations

import pytest
from lark import Token

from leadrules.syntax.postlex import MAX_NESTING, IndentPostLexer, LayoutError


def tok(kind: str, text: str, line: int = 1, column: int = 1) -> Token:
    return Token(kind, text, line=line, column=column, end_line=line + text.count("\n"), end_column=column)


def kinds(tokens: list[Token]) -> list[str]:
    return [t.type for t in IndentPostLexer().process(iter(tokens))]


def test_block_opens_and_closes() -> None:
    stream = [
        tok("SCORE", "score"), tok("NAME", "s"), tok("COLON", ":"), tok("_NL", "\n    "),
        tok("SIGN", "+", 2), tok("NUMBER", "1", 2), tok("_NL", "\n", 2),
        tok("EVENT", "event", 3), tok("NAME", "e", 3),
    ]
    assert kinds(stream) == [
        "SCORE", "NAME", "COLON", "_NL", "_INDENT", "SIGN", "NUMBER", "_NL", "_DEDENT", "EVENT", "NAME", "_NL",
    ]


def test_block_at_end_of_file_is_closed() -> None:
    stream = [tok("ROUTE", "route"), tok("COLON", ":"), tok("_NL", "\n    "), tok("OTHERWISE", "otherwise", 2)]
    assert kinds(stream) == ["ROUTE", "COLON", "_NL", "_INDENT", "OTHERWISE", "_NL", "_DEDENT"]


def test_newlines_inside_brackets_are_dropped() -> None:
    stream = [
        tok("NAME", "x"), tok("LSQB", "["), tok("STRING", '"a"'), tok("_NL", "\n      "),
        tok("COMMA", ",", 2), tok("STRING", '"b"', 2), tok("RSQB", "]", 2), tok("_NL", "\n", 2),
    ]
    assert kinds(stream) == ["NAME", "LSQB", "STRING", "COMMA", "STRING", "RSQB", "_NL"]


def test_leading_blank_and_comment_lines_are_skipped() -> None:
    stream = [tok("_NL", "# header\n\n"), tok("RULESET", "ruleset", 3)]
    assert kinds(stream) == ["RULESET", "_NL"]


def test_tab_in_indentation_is_a_layout_error() -> None:
    stream = [tok("NAME", "x"), tok("_NL", "\n\t"), tok("NAME", "y", 2)]
    with pytest.raises(LayoutError) as info:
        kinds(stream)
    assert (info.value.message, info.value.line, info.value.column) == ("tab in indentation", 2, 1)


def test_inconsistent_dedent_names_both_widths() -> None:
    stream = [
        tok("NAME", "a"), tok("_NL", "\n    "), tok("NAME", "b", 2), tok("_NL", "\n  ", 2), tok("NAME", "c", 3),
    ]
    with pytest.raises(LayoutError) as info:
        kinds(stream)
    assert info.value.line == 3
    assert info.value.hint == "indent by exactly 4 spaces to stay in the block, or 0 to close it"


def test_bracket_nesting_is_bounded() -> None:
    stream = [tok("LPAR", "(", 1, i + 1) for i in range(MAX_NESTING + 1)]
    with pytest.raises(LayoutError) as info:
        kinds(stream)
    assert info.value.column == MAX_NESTING + 1


def test_prefix_operator_runs_are_bounded() -> None:
    stream = [tok("NOT", "not")] * (MAX_NESTING + 1)
    with pytest.raises(LayoutError, match="prefix operators"):
        kinds(stream)


def test_no_state_is_kept_between_runs() -> None:
    lexer = IndentPostLexer()
    stream = [tok("NAME", "a"), tok("_NL", "\n    "), tok("NAME", "b", 2)]
    first = [t.type for t in lexer.process(iter(stream))]
    second = [t.type for t in lexer.process(iter(stream))]
    assert first == second == ["NAME", "_NL", "_INDENT", "NAME", "_NL", "_DEDENT"]
