"""Hypothesis differential test: random rulesets and random leads (missing values, boundary
numbers, events on window edges, strings with quotes, backslashes, unicode and SQL words)
give byte-identical JSON Lines from the Python and the DuckDB engine."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from leadrules.check import check
from leadrules.jsontext import dumps
from leadrules.source import SourceFile
from leadrules.syntax import parse

from .helpers import duckdb_output, python_output, write_jsonl

AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
TRICKY = ["", "a", "O'Brien", 'say "hi"', "back\\slash", "DROP TABLE leads; --", "é😀", "x@Y.COM", "a@b@c.org",
          "select", "%_"]


def _lit(text: str) -> str:
    return dumps(text)  # a rule-file string literal: JSON escapes are a subset of the language's


ATOMS = [
    "i >= 50", "i < 10", "n > 2.5", "n <= -1", "c in [\"a\", \"b\"]", "c == \"c\"", "b", "not b",
    "t starts with {s}", "t ends with {s}", "t contains {s}", "t == {s}", "t != {s}",
    "e.domain in [\"y.com\", \"c.org\"]", "e.domain == {s}", "d >= \"2026-01-01\"",
    "ts < \"2026-11-21T00:00:00Z\"", "has ev1 in last 7 days", "has ev2", "count(ev1) >= 2",
    "count(ev2 in last 1 days) + i > 3", "i between 10 and 20", "t is missing", "n is present",
    "2 * i - n >= 30", "grade in [\"A\", \"B\"]", "grade is missing", "s1 >= 20", "cnt > 1",
]


@st.composite
def conditions(draw: st.DrawFn, depth: int = 2, allow_scores: bool = True) -> str:
    atoms = ATOMS if allow_scores else [a for a in ATOMS if "grade" not in a and "s1" not in a]
    if depth == 0 or draw(st.booleans()):
        atom = draw(st.sampled_from(atoms))
        return atom.replace("{s}", _lit(draw(st.sampled_from(TRICKY))))
    op = draw(st.sampled_from(["and", "or"]))
    left = draw(conditions(depth - 1, allow_scores))
    right = draw(conditions(depth - 1, allow_scores))
    text = f"({left} {op} {right})"
    return f"not {text}" if draw(st.booleans()) else text


@st.composite
def rulesets(draw: st.DrawFn) -> str:
    points = st.sampled_from(["+10", "-5", "+2.5", "+100", "-30", "+0.000001"])
    lines = [
        'ruleset "diff" version "1"',
        "field t: text optional", "field e: email optional", 'field c: one of ["a", "b", "c"] optional',
        "field i: integer in 0..100 optional", "field n: number optional", "field b: boolean optional",
        "field d: date optional", "field ts: timestamp optional", "field cnt: integer optional",
        "event ev1", "event ev2",
        f"condition hot = {draw(conditions(1, False))}",
        f"score s1 ({draw(st.sampled_from(['min 0, max 50', 'max 40', 'min -10']))}):",
        f"    {draw(points)} if {draw(conditions(2, False))}",
        f"    {draw(points)} if hot",
        f"    {draw(points)} per ev1 in last 7 days (max 25)",
        f"    {draw(points)} per ev2",
        f"    {draw(points)} per cnt (max 12)",
        "score s2:",
        f"    {draw(points)} if {draw(conditions(2))}",
        "band grade of s1:",
        f"    {_lit(draw(st.sampled_from(TRICKY[1:])))} from 20",
        '    "B" from 0 to 20',
        f"disqualify dq1 {_lit(draw(st.sampled_from(TRICKY)))} if {draw(conditions(1))}",
        f"disqualify dq2 \"scoped\" at B if {draw(conditions(1))}",
        "stages A -> B -> C",
        f"stage B if {draw(conditions(2))}",
        f"stage C if {draw(conditions(2))}",
        "route C:",
        f"    to {_lit(draw(st.sampled_from(TRICKY)))} if {draw(conditions(1))}",
        "    otherwise to \"rest\"",
        "route Disqualified:",
        f"    to \"dq\" if {draw(conditions(1))}",
    ]
    return "\n".join(lines) + "\n"


def _stamp(delta_seconds: int) -> str:
    return (AS_OF + dt.timedelta(seconds=delta_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


EDGES = [0, -1, 1, -7 * 86400, -7 * 86400 + 1, -86400, -86400 + 1, -40 * 86400]
event = st.builds(
    lambda kind, at: {"type": kind, "at": at},
    st.sampled_from(["ev1", "ev2", "other"]),
    st.one_of(st.sampled_from(EDGES).map(_stamp), st.sampled_from(["2026-11-21T23:59:59+01:00", "bad", "2026-11-21"])),
)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "t": st.sampled_from(TRICKY),
    "e": st.sampled_from(TRICKY),
    "c": st.sampled_from(["a", "b", "c", "A", 1]),
    "i": st.sampled_from([0, 10, 20, 50, 100, 101, -1, Decimal("50.0"), "7"]),
    "n": st.sampled_from([0, 3, -1, Decimal("2.5"), Decimal("2.5000001"), Decimal("-0.0"), 10**20, True]),
    "b": st.sampled_from([True, False, "yes"]),
    "d": st.sampled_from(["2026-01-01", "2025-12-31", "2026-02-30", "x"]),
    "ts": st.sampled_from(["2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", "2026-11-21T00:00:00+00:00", "nope"]),
    "cnt": st.sampled_from([0, 3, -4, 1000]),
}


def lead_records(values: dict[str, st.SearchStrategy[Any]], events: st.SearchStrategy[dict[str, Any]],
                 ids: list[Any], max_events: int) -> st.SearchStrategy[dict[str, Any]]:
    """Lead records: an optional id, each field present three times in four, optional events."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        lead: dict[str, Any] = {}
        if draw(st.booleans()):
            lead["id"] = draw(st.sampled_from(ids))
        for name, strategy in values.items():
            if draw(st.integers(0, 3)) > 0:
                lead[name] = draw(strategy)
        if draw(st.booleans()):
            lead["events"] = draw(st.lists(events, max_size=max_events))
        return lead

    return build()


def leads() -> st.SearchStrategy[dict[str, Any]]:
    return lead_records(VALUES, event, ["L1", 7, "quote\"d", "ünï"], 5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=rulesets(), records=st.lists(leads(), min_size=1, max_size=12))
def test_python_and_duckdb_agree(text: str, records: list[dict[str, Any]]) -> None:
    module, diagnostics = parse(SourceFile("diff.rules", text))
    assert module is not None, [d.message for d in diagnostics]
    model, diagnostics = check(module)
    assume(model is not None)
    assert model is not None
    with tempfile.TemporaryDirectory() as folder:
        source = write_jsonl(Path(folder) / "leads.jsonl", records)
        want = python_output(model, source, None, AS_OF)
        got, details = duckdb_output(model, source, None, AS_OF, "jsonl", Path(folder) / "out.jsonl")
    assert got == want
    assert details.summary.records == len(records)


CLEAN_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "t": st.sampled_from(TRICKY),
    "e": st.sampled_from(TRICKY),
    "c": st.sampled_from(["a", "b", "c"]),
    "i": st.sampled_from([0, 9, 10, 20, 21, 50, 100]),
    "n": st.sampled_from([0, 3, -1, -2, 10**15, Decimal("2.5"), Decimal("-0.25"), Decimal("123456789.123456")]),
    "b": st.booleans(),
    "d": st.sampled_from(["2026-01-01", "2025-12-31", "2024-02-29"]),
    "ts": st.sampled_from(["2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", "2026-11-20T23:59:59Z"]),
    "cnt": st.sampled_from([0, 3, -4, 1000]),
}
clean_event = st.builds(
    lambda kind, at: {"type": kind, "at": at},
    st.sampled_from(["ev1", "ev2", "other"]),
    st.sampled_from(EDGES).map(_stamp),
)


def clean_leads() -> st.SearchStrategy[dict[str, Any]]:
    return lead_records(CLEAN_VALUES, clean_event, ["L1", 7, "ünï", "a b"], 6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=rulesets(), records=st.lists(clean_leads(), min_size=1, max_size=12))
def test_plain_valid_leads_are_evaluated_in_sql_alone(text: str, records: list[dict[str, Any]]) -> None:
    """Valid leads in plain spellings never need the Python engine, and still agree with it."""
    module, _ = parse(SourceFile("diff.rules", text))
    assert module is not None
    model, _ = check(module)
    assume(model is not None)
    assert model is not None
    with tempfile.TemporaryDirectory() as folder:
        source = write_jsonl(Path(folder) / "leads.jsonl", records)
        want = python_output(model, source, None, AS_OF)
        got, details = duckdb_output(model, source, None, AS_OF, "jsonl", Path(folder) / "out.jsonl")
    assert got == want
    assert details.python_records == 0
