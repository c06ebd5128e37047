"""The longest legal windows (100 years: 36525 days, 5218 weeks, 876600 hours) work end to end:
both engines agree at the window edges, and the linter reasons about them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from leadrules.config import Config
from leadrules.lint import lint
from leadrules.lint.context import LintContext
from leadrules.lint.facts import stage_status
from leadrules.values import parse_timestamp
from sql.helpers import duckdb_output, load_model, python_output, write_jsonl

AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)

LONGEST = """\
ruleset "longest" version "1"
event demo
score days:
    +1 per demo in last 36525 days
score weeks:
    +1 if has demo in last 5218 weeks
score hours:
    +1 if count(demo in last 876600 hours) >= 1
stages Lead -> MQL
stage MQL if has demo in last 5218 weeks and count(demo in last 36525 days) == 0
"""

AGES = {
    "36525 days": dt.timedelta(days=36525),
    "36525 days less 1 s": dt.timedelta(days=36525, seconds=-1),
    "5218 weeks": dt.timedelta(weeks=5218),
    "5218 weeks less 1 s": dt.timedelta(weeks=5218, seconds=-1),
    "876600 hours less 1 s": dt.timedelta(hours=876600, seconds=-1),
    "1 day": dt.timedelta(days=1),
}


def _stamp(instant: dt.datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_both_engines_agree_at_the_edges_of_the_longest_windows(tmp_path: Path) -> None:
    path = tmp_path / "longest.rules"
    path.write_text(LONGEST, encoding="utf-8")
    model = load_model(path)
    leads = write_jsonl(tmp_path / "leads.jsonl", [
        {"id": name, "events": [{"type": "demo", "at": _stamp(AS_OF - age)}]} for name, age in AGES.items()
    ])
    python_text = python_output(model, leads, None, AS_OF)
    duckdb_text, _ = duckdb_output(model, leads, None, AS_OF, "jsonl", tmp_path / "out.jsonl")
    assert duckdb_text == python_text
    got = {r["id"]: (r["stage"], r["scores"]) for r in map(json.loads, python_text.splitlines())}
    assert got == {
        "36525 days": ("MQL", {"days": 0, "weeks": 1, "hours": 0}),
        "36525 days less 1 s": ("Lead", {"days": 1, "weeks": 1, "hours": 1}),
        "5218 weeks": ("Lead", {"days": 0, "weeks": 0, "hours": 0}),
        "5218 weeks less 1 s": ("MQL", {"days": 0, "weeks": 1, "hours": 0}),
        "876600 hours less 1 s": ("Lead", {"days": 1, "weeks": 1, "hours": 1}),
        "1 day": ("Lead", {"days": 1, "weeks": 1, "hours": 1}),
    }


def test_the_linter_reasons_about_the_longest_windows(tmp_path: Path) -> None:
    path = tmp_path / "longest.rules"
    path.write_text(LONGEST, encoding="utf-8")
    model = load_model(path)
    roomy = Config(solver_timeout_ms=60_000)
    found = lint(model, roomy)
    # MQL needs a demo between 36525 days and 5218 weeks (36526 days) old: reachable, no LR101
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("LR201", 9, 1, "handoff stage 'MQL' is not guarded by any disqualifier: no disqualifier applies to it"),
    ]
    ctx = LintContext.create(model, roomy)
    assert stage_status(ctx, "MQL") == "sat"
    reached = ctx.find(lambda outcome: None if outcome.record["stage"] == "MQL" else "elsewhere")
    assert reached is not None
    ages = [AS_OF - parse_timestamp(event["at"]) for event in reached.lead["events"]]  # type: ignore[operator]
    assert any(dt.timedelta(days=36525) <= age < dt.timedelta(weeks=5218) for age in ages)
