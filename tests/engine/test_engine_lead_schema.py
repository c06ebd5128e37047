"""`export --to lead-schema` accepts exactly the records `eval` accepts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadrules.engine.validate import validate, validator_for
from leadrules.io.export_schema import export_lead_schema
from leadrules.jsontext import dumps, loads
from leadrules.model import CheckedModel
from leadrules.workspace import load_file

RULES = '''ruleset "s" version "1"
field employees: integer in 1..500
field revenue: number optional
field ratio: number in 0..1.5 optional
field active: boolean
field name: text optional
field email: email optional
field role: one of ["a", "b"] optional
field founded: date optional
field seen: timestamp optional
event visit
event demo
stages Lead -> MQL
stage MQL if employees > 10
'''

NUMBERS = st.one_of(
    st.integers(-3, 600), st.sampled_from([0.5, 1.0, 1.5, 150.0, 500.5, -0.0, 1e3]),
    st.decimals(min_value=-2, max_value=600, places=2, allow_nan=False),
)
DATES = st.one_of(st.dates().map(str), st.sampled_from(["2024-02-29", "2023-02-29", "2026-13-01", "2026-1-01",
                                                        "0000-01-01", "2026-11-22T00:00:00Z", "20261122"]))
STAMPS = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.builds(lambda d, z: d.strftime("%Y-%m-%dT%H:%M:%S") + z, st.datetimes(),
              st.sampled_from(["Z", "z", "+02:00", "-11:30", "+24:00", "+01:60", "", ".5Z", ".1234567Z"])),
    st.sampled_from(["2026-11-22 10:00", "2026-11-22T10", "2026-11-22", "yesterday", "2026-11-22T10:00:00+0100",
                     "2026-11-22T10:00:00Z\n"]),
)
ANY = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=3), DATES, STAMPS, st.lists(st.integers(), max_size=2))
EVENT = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["visit", "demo", "other", 3]), "at": st.one_of(STAMPS, ANY)}),
    st.fixed_dictionaries({"type": st.sampled_from(["visit", "other"])}),
    st.integers(), st.text(max_size=2),
)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> CheckedModel:
    path = Path(tmp_path_factory.mktemp("s")) / "s.rules"
    path.write_text(RULES)
    loaded = load_file(path)
    assert loaded.model is not None, loaded.diagnostics
    return loaded.model


VALID_STAMPS = st.one_of(
    st.datetimes(min_value=dt.datetime(1000, 1, 2)).map(lambda d: d.isoformat()),
    st.builds(lambda d, z: d.strftime("%Y-%m-%dT%H:%M:%S") + z, st.datetimes(min_value=dt.datetime(1000, 1, 2)),
              st.sampled_from(["Z", "+02:00", "-11:30", "", ".5Z", "+23:59"])),
)
VALID = {
    "employees": st.one_of(st.integers(1, 500), st.sampled_from([1.0, 500.0, Decimal("3.0")])),
    "revenue": NUMBERS,
    "ratio": st.one_of(st.decimals(min_value=0, max_value=Decimal("1.5"), places=1), st.just(1.5)),
    "active": st.booleans(),
    "name": st.text(max_size=3),
    "email": st.text(max_size=3),
    "role": st.sampled_from(["a", "b"]),
    "founded": st.one_of(st.dates().map(str), st.just("2024-02-29")),
    "seen": VALID_STAMPS,
}
EDGE = {
    "employees": NUMBERS, "revenue": ANY, "ratio": NUMBERS, "active": ANY, "name": ANY, "email": ANY,
    "role": st.sampled_from(["A", "c", ""]),
    "founded": st.one_of(st.sampled_from(["2023-02-29", "1900-02-29", "2000-02-29", "2026-04-31", "2026-11-22\n",
                                          "0000-01-01", "2026-00-10", "99999-01-01"]), DATES),
    "seen": st.one_of(st.sampled_from([
        "2026-11-22T10:00:00+24:00", "2026-11-22T10:00:00+01:60", "2026-11-22T24:00:00Z", "2026-11-22T10:60:00Z",
        "2026-11-22T10:00:60Z", "2026-11-22T10:00:00.1234567Z", "2023-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
        "2026-11-22T10:00:00Z\n", "2026-11-22t10:00:00z", "2024-02-29 23:59:59.999999-23:59",
    ]), STAMPS),
}
VALID_EVENT = st.fixed_dictionaries({"type": st.sampled_from(["visit", "demo", "other"]), "at": VALID_STAMPS})


@st.composite
def records(draw: Any) -> dict[str, Any]:
    """Mostly valid records with a few fields (and events) pushed over an edge."""
    record: dict[str, Any] = {}
    for name, valid in VALID.items():
        choice = draw(st.integers(0, 99))
        if choice < 4:
            continue
        if choice < 7:
            record[name] = None
        elif choice < 20:
            record[name] = draw(EDGE[name])
        else:
            record[name] = draw(valid)
    choice = draw(st.integers(0, 9))
    if choice == 1:
        record["events"] = draw(ANY)
    elif choice == 2:
        record["events"] = draw(st.lists(EVENT, max_size=3))
    elif choice >= 3:
        record["events"] = draw(st.lists(VALID_EVENT, max_size=3))
    if draw(st.booleans()):
        record["extra"] = draw(ANY)
    return record


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_schema_accepts_exactly_what_eval_accepts(model: CheckedModel, record: dict[str, Any]) -> None:
    text = dumps(record)
    schema = json.loads(export_lead_schema(model))
    by_schema = jsonschema.Draft202012Validator(schema).is_valid(json.loads(text))
    valid, error = validate(model, loads(text), 1)
    assert by_schema == (valid is not None), (text, error)
    # the generated fast path gives what the general path gives
    assert (valid, error) == validator_for(model).check(loads(text), 1)


def test_schema_is_valid_2020_12(model: CheckedModel) -> None:
    schema = json.loads(export_lead_schema(model))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["employees", "active"]
