"""Parsing and checking pause the cyclic garbage collector and leave it as they found it; the
AST builder's walk builds nodes in the order Lark's `iter_subtrees` gives (which decides the
SyntaxProblem reported first)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lark import Tree

from leadrules.check import check
from leadrules.source import SourceFile
from leadrules.syntax import parse
from leadrules.syntax.gc_pause import gc_paused
from leadrules.syntax.parser import _parser
from leadrules.syntax.transform import AstBuilder, SyntaxProblem

ROOT = Path(__file__).resolve().parents[2]
VALID = 'ruleset "r" version "1"\nfield f: integer\ncondition c = f > 1\n'
INVALID = 'ruleset "r" version "1"\nfield f: integer\ncondition c = f >\n'


@pytest.fixture()
def collector_state() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()
    else:  # pragma: no cover - pytest runs with the collector on
        gc.disable()


def _observed_inside(enabled_before: bool) -> tuple[bool, bool]:
    gc.enable() if enabled_before else gc.disable()
    with gc_paused():
        inside = gc.isenabled()
    return inside, gc.isenabled()


@pytest.mark.usefixtures("collector_state")
def test_gc_paused_disables_and_restores_the_previous_state() -> None:
    assert _observed_inside(True) == (False, True)
    assert _observed_inside(False) == (False, False)


@pytest.mark.usefixtures("collector_state")
def test_gc_paused_restores_the_collector_after_an_exception() -> None:
    gc.enable()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_state")
def test_nested_pauses_turn_the_collector_back_on_only_at_the_outermost() -> None:
    gc.enable()
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_state")
@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("text", [VALID, INVALID])
def test_parse_and_check_leave_the_collector_as_they_found_it(enabled: bool, text: str) -> None:
    gc.enable() if enabled else gc.disable()
    module, diagnostics = parse(SourceFile("r.rules", text))
    assert gc.isenabled() is enabled
    assert (module is None) is bool(diagnostics)
    if module is not None:
        check(module)
        assert gc.isenabled() is enabled


def _built_by_iter_subtrees(builder: AstBuilder, tree: Tree[Any]) -> Any:
    """The walk as it was written with Lark's iter_subtrees and a table keyed by id()."""
    results: dict[int, Any] = {}
    for subtree in tree.iter_subtrees():
        children = [results[id(c)] if isinstance(c, Tree) else builder._leaf(c) for c in subtree.children]
        results[id(subtree)] = getattr(builder, subtree.data)(subtree.meta, children)
    return results[id(tree)]


def _outcome(build: Any, text: str) -> object:
    source = SourceFile("r.rules", text)
    tree = _parser().parse(text)
    try:
        return build(AstBuilder(source), tree)
    except SyntaxProblem as problem:
        return problem.message, problem.span


_RULE_FILES = sorted((ROOT / "rulesets").glob("*.rules")) + sorted((ROOT / "tests" / "fixtures").rglob("*.rules"))
# two problems: a bad number near the top and a bad escape nested in brackets further down
_TWO_PROBLEMS = 'ruleset "r" version "1"\ncondition a = x > 1.1234567\ncondition b = (((y == "\\q")))\n'


@pytest.mark.parametrize("text", [p.read_text(encoding="utf-8") for p in _RULE_FILES] + [_TWO_PROBLEMS],
                         ids=[p.name for p in _RULE_FILES] + ["two-problems"])
def test_the_walk_builds_what_iter_subtrees_order_built(text: str) -> None:
    expected = _outcome(_built_by_iter_subtrees, text)
    assert _outcome(lambda builder, tree: builder.transform(tree), text) == expected


def test_of_two_problems_the_same_one_is_reported() -> None:
    message, span = _outcome(lambda builder, tree: builder.transform(tree), _TWO_PROBLEMS)  # type: ignore[misc]
    assert message == "number '1.1234567' has more than 6 decimal places"
    assert (span.line, span.column) == (2, 19)
