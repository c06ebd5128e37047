"""Fuzzing: arbitrary text and token soup give a module or diagnostics, never an exception; whatever
parses also survives fmt → parse unchanged."""

from __future__ import annotations

from ast_strategies import strip_spans
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadrules.check import check
from leadrules.io.fmt import format_module
from leadrules.source import SourceFile
from leadrules.syntax import parse

TOKENS = [
    "ruleset", '"x"', "version", '"1"', "field", "event", "list", "condition", "score", "band", "of", "disqualify",
    "stages", "stage", "handoff", "route", "to", "otherwise", "test", "as", "lead", "expect", "tests", "for",
    "if", "per", "in last", "days", "week", "and", "or", "not", "between", "in", "not in", "is missing",
    "is present", "starts with", "contains", "has", "count", "true", "false", "null", "min", "max", "from",
    "at", "one of", "optional", "integer", "text", "email", "a", "b", "fit", "MQL", "Lead", "->", "==", "!=", "<",
    ">=", "+", "-", "*", "(", ")", "[", "]", "{", "}", ",", ":", "=", ".", "..", "1", "2.5", "-3", "1.1234567",
    "1e5", '"s\\n"', '"bad\\q"', '"open', "#c", "\n", "\n    ", "\n  ", "\t", "\r\n", "\\", "@", "\u00e9",
]
HEADER = 'ruleset "fuzz" version "1"\n'


def _never_raises(text: str) -> None:
    source = SourceFile("fuzz.rules", text)
    module, diagnostics = parse(source)
    if module is None:
        assert diagnostics and all(d.code == "LR001" for d in diagnostics)
        assert all(d.span.line >= 1 and d.span.column >= 1 for d in diagnostics)
        return
    check(module)
    formatted = format_module(module, source)
    again, again_diagnostics = parse(SourceFile("again.rules", formatted))
    assert again_diagnostics == [] and again is not None, formatted
    assert strip_spans(again.statements) == strip_spans(module.statements)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list('abcdefz_019 .,:=<>+-*()[]{}"#\\\n\t@') + ["\n    "]), max_size=120).map("".join))
def test_random_text(text: str) -> None:
    _never_raises(text)
    _never_raises(HEADER + text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.lists(st.sampled_from([" ", "", "  "]), min_size=40,
                                                                max_size=40))
def test_token_soup(tokens: list[str], gaps: list[str]) -> None:
    text = "".join(token + gap for token, gap in zip(tokens, gaps, strict=False))
    _never_raises(text)
    _never_raises(HEADER + text)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_decoded_bytes(data: bytes) -> None:
    _never_raises(data.decode("utf-8", errors="replace"))
