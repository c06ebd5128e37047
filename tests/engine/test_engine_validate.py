"""Validation: typed values and the exact error messages of invalid records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from leadrules.engine.validate import parse_lead_timestamp, validate
from leadrules.model import CheckedModel
from leadrules.workspace import load_file

RULES = '''ruleset "v" version "1"
field employees: integer in 1..1000000
field revenue: number optional
field ratio: number in 0..1 optional
field visits: integer optional
field active: boolean optional
field name: text optional
field email: email optional
field role: one of ["a", "b", "c"] optional
field founded: date optional
field seen: timestamp optional
event visit
stages Lead -> MQL
stage MQL if employees > 10
'''


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> CheckedModel:
    path = Path(tmp_path_factory.mktemp("v")) / "v.rules"
    path.write_text(RULES)
    loaded = load_file(path)
    assert loaded.model is not None, loaded.diagnostics
    return loaded.model


def error_of(model: CheckedModel, lead: Any) -> tuple[str | None, str]:
    valid, error = validate(model, lead, 4)
    assert valid is None and error is not None
    assert error["error"]["record"] == 4
    return error["error"]["field"], error["error"]["message"]


@pytest.mark.parametrize(("lead", "field", "message"), [
    ({}, "employees", "employees: required, found nothing"),
    ({"employees": None}, "employees", "employees: required, found nothing"),
    ({"employees": "many"}, "employees", 'employees: expected an integer in 1..1000000, found "many"'),
    ({"employees": "150"}, "employees", 'employees: expected an integer in 1..1000000, found "150"'),
    ({"employees": Decimal("12.5")}, "employees", "employees: expected an integer in 1..1000000, found 12.5"),
    ({"employees": 0}, "employees", "employees: expected an integer in 1..1000000, found 0"),
    ({"employees": True}, "employees", "employees: expected an integer in 1..1000000, found true"),
    ({"employees": [1, 2]}, "employees", "employees: expected an integer in 1..1000000, found [1, 2]"),
    ({"employees": 5, "revenue": "x"}, "revenue", 'revenue: expected a number, found "x"'),
    ({"employees": 5, "ratio": 2}, "ratio", "ratio: expected a number in 0..1, found 2"),
    ({"employees": 5, "visits": 1.5}, "visits", "visits: expected an integer, found 1.5"),
    ({"employees": 5, "active": "yes"}, "active", 'active: expected true or false, found "yes"'),
    ({"employees": 5, "name": 3}, "name", "name: expected text, found 3"),
    ({"employees": 5, "email": False}, "email", "email: expected an email address (text), found false"),
    ({"employees": 5, "role": "A"}, "role", 'role: expected one of "a", "b", "c", found "A"'),
    ({"employees": 5, "founded": "2026-02-30"}, "founded", 'founded: expected a date (YYYY-MM-DD), found "2026-02-30"'),
    ({"employees": 5, "seen": "yesterday"}, "seen", 'seen: expected a timestamp (ISO 8601), found "yesterday"'),
    ({"employees": 5, "events": {"type": "visit"}}, "events",
     'events: expected a list of {"type": ..., "at": ...} objects, found {"type": "visit"}'),
    ({"employees": 5, "events": [{"type": "visit", "at": "2026-01-01T00:00:00Z"}, {"type": "visit", "at": "yesterday"}]},
     "events", 'events[1].at: expected a timestamp (ISO 8601), found "yesterday"'),
    ({"employees": 5, "events": [{"type": "visit"}]}, "events",
     "events[0].at: expected a timestamp (ISO 8601), found nothing"),
    # the first invalid field in declaration order wins, events come last
    ({"employees": "x", "role": "z", "events": 3}, "employees",
     'employees: expected an integer in 1..1000000, found "x"'),
    ({"employees": 5, "seen": 1, "role": "z"}, "role", 'role: expected one of "a", "b", "c", found "z"'),
])
def test_error_messages(model: CheckedModel, lead: dict[str, Any], field: str, message: str) -> None:
    assert error_of(model, lead) == (field, message)


@pytest.mark.parametrize(("lead", "message"), [
    ([1, 2], "expected a JSON object, found an array"),
    ("x", "expected a JSON object, found a string"),
    (3, "expected a JSON object, found a number"),
    (None, "expected a JSON object, found null"),
])
def test_non_objects(model: CheckedModel, lead: Any, message: str) -> None:
    assert error_of(model, lead) == (None, message)


def test_typed_values(model: CheckedModel) -> None:
    valid, error = validate(model, {
        "id": "L1", "employees": 150.0, "revenue": 12.5, "visits": Decimal("3.0"), "active": False, "name": "n",
        "email": "a@B.com", "role": "b", "founded": "2020-02-29", "seen": "2026-11-21T10:00:00+02:00",
        "events": [{"type": "visit", "at": "2026-11-01T10:00:00Z"}, {"type": "unknown", "at": "bad"}, {"type": 3}],
        "extra": {"ignored": True},
    }, 1)
    assert error is None and valid is not None
    values = dict(zip(model.fields, valid.values, strict=True))
    assert values["employees"] == 150 and values["employees"].__class__ is int
    assert values["revenue"] == Decimal("12.5") and values["visits"] == 3
    assert values["founded"] == dt.date(2020, 2, 29)
    assert values["seen"] == dt.datetime(2026, 11, 21, 8, tzinfo=dt.timezone.utc)
    assert valid.events == (("visit", dt.datetime(2026, 11, 1, 10, tzinfo=dt.timezone.utc)),)
    assert valid.id == "L1"


def test_id_defaults_to_position(model: CheckedModel) -> None:
    valid, _ = validate(model, {"employees": 3}, 9)
    assert valid is not None and valid.id == 9
    _, error = validate(model, {"employees": 0}, 9)
    assert error is not None and error["id"] == 9


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-22T10:00:00Z", dt.datetime(2026, 11, 22, 10, tzinfo=dt.timezone.utc)),
    ("2026-11-22T10:00:00", dt.datetime(2026, 11, 22, 10, tzinfo=dt.timezone.utc)),
    ("2026-11-22 10:00", dt.datetime(2026, 11, 22, 10, tzinfo=dt.timezone.utc)),
    ("2026-11-22T10:00:00.5-01:30", dt.datetime(2026, 11, 22, 11, 30, 0, 500000, tzinfo=dt.timezone.utc)),
    ("2026-11-22", dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)),
    ("2026-13-01T00:00:00Z", None), ("2026-11-22T24:00:00Z", None),
    ("2026-11-22T10:00:00+01:75", None), ("2026-11-22T10:00:00Z\n", None), ("２０２６-11-22T10:00:00Z", None),
])
def test_timestamps(text: str, expected: dt.datetime | None) -> None:
    assert parse_lead_timestamp(text) == expected
