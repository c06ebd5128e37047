"""`--as-of-field F`: each record evaluated as of its own timestamp; later events never leak in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadrules.engine.python import compile_model
from leadrules.workspace import load_file

RULES = """\
ruleset "as-of-field" version "1"
field signed_at: timestamp optional
field industry: text
event demo
score fit (min 0, max 100):
    icp: +50 if industry == "saas"
score engagement (max 100):
    +20 per demo
    +10 per demo in last 7 days
stages Lead -> MQL -> SQL
stage MQL if fit >= 40
stage SQL if engagement >= 30
"""


def _model(tmp_path: Path) -> Any:
    path = tmp_path / "r.rules"
    path.write_text(RULES)
    loaded = load_file(path)
    assert loaded.model is not None
    return loaded.model


def _lead(lead_id: str, signed_at: str, days: list[int]) -> dict[str, Any]:
    return {"id": lead_id, "signed_at": signed_at, "industry": "saas",
            "events": [{"type": "demo", "at": f"2026-01-{day:02d}T12:00:00Z"} for day in days]}


def test_each_record_uses_its_own_instant(tmp_path: Path) -> None:
    evaluator = compile_model(_model(tmp_path))
    leads = [_lead("a", "2026-01-10T00:00:00Z", [5, 6, 20]), _lead("b", "2026-01-21T00:00:00Z", [5, 6, 20])]
    records = list(evaluator.evaluate_many(leads, as_of_field="signed_at"))
    assert [r["scores"] for r in records] == [{"fit": 50, "engagement": 60}, {"fit": 50, "engagement": 70}]
    assert [r["stage"] for r in records] == ["SQL", "SQL"]


def test_missing_or_invalid_field_is_an_error_record_in_place(tmp_path: Path) -> None:
    evaluator = compile_model(_model(tmp_path))
    leads = [{"id": "m", "industry": "saas"}, {"id": "u", "industry": "saas", "seen": 7},
             _lead("ok", "2026-01-10T00:00:00Z", [])]
    missing, wrong, fine = evaluator.evaluate_many(leads, as_of_field="signed_at")
    assert missing == {"id": "m", "error": {
        "record": 1, "field": "signed_at",
        "message": "expected a timestamp (ISO 8601) to evaluate the lead as of, found nothing (missing or null)"}}
    (wrong,) = evaluator.evaluate_many([leads[1]], as_of_field="seen")
    assert wrong["error"] == {"record": 1, "field": "seen",
                              "message": "expected a timestamp (ISO 8601) to evaluate the lead as of, found a number"}
    assert fine["stage"] == "MQL"


def test_an_undeclared_field_works_and_a_date_means_its_first_instant(tmp_path: Path) -> None:
    evaluator = compile_model(_model(tmp_path))
    lead = {**_lead("d", "2026-01-10T00:00:00Z", [9, 10]), "decided": "2026-01-10"}
    (record,) = evaluator.evaluate_many([lead], as_of_field="decided")
    # the demo at 12:00 on the 10th is after the first instant of the 10th
    assert record["scores"]["engagement"] == 30


def test_explain_takes_the_field_too(tmp_path: Path) -> None:
    evaluator = compile_model(_model(tmp_path))
    explanation = evaluator.explain(_lead("a", "2026-01-10T00:00:00Z", [5, 6, 20]), None, as_of_field="signed_at")
    assert explanation.record["scores"] == {"fit": 50, "engagement": 60}


_DAYS = st.lists(st.integers(min_value=1, max_value=28), max_size=6)


@settings(max_examples=60, deadline=None)
@given(before=_DAYS, after=_DAYS, cut=st.integers(min_value=1, max_value=28))
def test_events_after_the_as_of_never_change_the_evaluation(tmp_path_factory: Any, before: list[int],
                                                            after: list[int], cut: int) -> None:
    evaluator = compile_model(_model(tmp_path_factory.mktemp("leak")))
    signed_at = f"2026-01-{cut:02d}T12:00:00Z"
    kept = [day for day in before if day <= cut]
    later = [{"type": "demo", "at": f"2026-02-{day:02d}T00:00:00Z"} for day in after] + \
            [{"type": "demo", "at": f"2026-01-{cut:02d}T12:00:01Z"}]
    base = _lead("p", signed_at, kept)
    leaked = {**base, "events": base["events"] + later}
    (plain,) = evaluator.evaluate_many([base], as_of_field="signed_at")
    (with_later,) = evaluator.evaluate_many([leaked], as_of_field="signed_at")
    assert plain == with_later
    assert plain["scores"]["engagement"] == min(100, 20 * len(kept) + 10 * sum(1 for d in kept if cut - d < 7))


def test_cli_as_of_field(tmp_path: Path, run_cli: Any) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text(RULES)
    leads = tmp_path / "l.jsonl"
    leads.write_text("\n".join(json.dumps(x) for x in [
        _lead("a", "2026-01-10T00:00:00Z", [5, 6, 20]), {"id": "c", "industry": "saas"}]) + "\n")
    result = run_cli("eval", str(rules), str(leads), "--as-of-field", "signed_at", "-q")
    assert result.exit_code == 3
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["scores"] == {"fit": 50, "engagement": 60}
    assert second["error"]["field"] == "signed_at"
    both = run_cli("eval", str(rules), str(leads), "--as-of-field", "signed_at", "--as-of", "2026-01-01T00:00:00Z")
    assert both.exit_code == 2
    assert both.stderr.splitlines()[-1] == "Error: --as-of and --as-of-field exclude each other"
    duck = run_cli("eval", str(rules), str(leads), "--as-of-field", "signed_at", "--engine", "duckdb")
    assert duck.exit_code == 2
    assert duck.stderr.splitlines()[-1] == "Error: --as-of-field needs --engine python (or auto)"
