"""A CSV record whose declared fields the reader's generated builder found valid skips
validation's type checks (`CheckedCsvRecord`): its dict must be the record the plain builder
gives, and its field values exactly what validation gives that record (value, type, digits);
a row the builder does not vouch for is the plain record, judged by validation as before."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadrules.engine.validate import validator_for
from leadrules.io.leads import read_csv
from leadrules.model import CheckedModel
from leadrules.records import CheckedCsvRecord
from leadrules.workspace import load_file

RULES = """ruleset "checked" version "1"
field t: text
field c: one of ["a", "b", "c d"]
field co: one of ["x", "y"] optional
field small: integer in 0..10
field big: integer in -5..5000
field whole: integer
field ratio: number in 0..1.5 optional
field amount: number
field flag: boolean
field maybe: boolean optional
field joined: date optional
field seen: timestamp
field later: integer optional
score s:
    +1 per small
stages Lead -> MQL
stage MQL if s >= 5
"""

_CELLS = {
    "t": ["x", "", " ", "é", "1"],
    "c": ["a", "b", "c d", "", "A", " a"],
    "co": ["x", "y", "", "z"],
    "small": ["0", "10", "11", "7", "07", "-1", "", "1.0", " 3", "٣"],
    "big": ["-5", "5000", "5001", "-6", "0", "42", "0042", "", "12.0", "+3"],
    "whole": ["0", "123456789012345678901234567890", "-7", "1.5", "", "x", "٣"],
    "ratio": ["0", "1.5", "1.50", "1.51", "0.0000001", "", "-0", ".5", "1e0", "2"],
    "amount": ["0", "12500000.5", "-3.25", "", "1e3", "007.10", "NaN", "inf", "1_0"],
    "flag": ["true", "false", "TRUE", "Yes", "0", "1", "", "t", " true"],
    "maybe": ["no", "NO", "", "maybe", "1"],
    "joined": ["2026-11-02", "", "2026-02-30", "2026-11-02T10:00:00Z", "x"],
    "seen": ["2026-11-02T10:00:00Z", "2026-11-02T10:00:00+01:00", "2026-11-02", "", "noon"],
    "later": ["3", "", "-3", "x"],
    "id": ["a1", "", "7"],
    "extra": ["", "z", "1"],
}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> CheckedModel:
    path = tmp_path_factory.mktemp("checked") / "checked.rules"
    path.write_text(RULES, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.model is not None, loaded.diagnostics
    return loaded.model


def _shape(values: Any) -> list[tuple[type, str]]:
    return [(type(v), str(v)) for v in values]


def _row_text(cells: list[str]) -> str:
    return ",".join(f'"{cell}"' if any(ch in cell for ch in ',"') else cell for cell in cells)


_required = ["t", "c", "small", "big", "whole", "amount", "flag", "seen"]
_others = ["co", "ratio", "maybe", "joined", "later", "id", "extra"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_checked_records_hold_what_validation_gives(model: CheckedModel, data: st.DataObject) -> None:
    header = data.draw(st.permutations(_required + data.draw(st.lists(st.sampled_from(_others), unique=True))))
    rows = data.draw(st.lists(st.tuples(*(st.one_of(st.just(_CELLS[name][0]), st.sampled_from(_CELLS[name])) for name in header)).map(list),
                              min_size=1, max_size=8))
    text = "\n".join([",".join(header), *(_row_text(row) for row in rows)]) + "\n"
    validator = validator_for(model)
    for number, record in enumerate(read_csv(io.BytesIO(text.encode()), model), 1):
        plain = dict(record)
        assert list(record.items()) == list(plain.items())
        expected_valid, expected_error = validator.check(plain, number)
        got_valid, got_error = validator(record, number)
        assert got_error == expected_error
        if record.__class__ is CheckedCsvRecord:
            assert expected_valid is not None and got_valid is not None
            assert _shape(record.field_values) == _shape(expected_valid.values)
            assert (got_valid.id, got_valid.record, _shape(got_valid.values), got_valid.events) == (
                expected_valid.id, expected_valid.record, _shape(expected_valid.values), expected_valid.events)
        else:
            assert record.__class__ is dict
            assert (got_valid is None) == (expected_valid is None)


def test_usual_valid_rows_are_checked_and_others_are_not(model: CheckedModel) -> None:
    header = "t,c,small,big,whole,amount,flag,seen,later,id"
    valid = "x,c d,10,5000,123,12.50,Yes,2026-11-02T10:00:00Z,,a1"
    unusual = "x,c d,010,5000,123,12.50,Yes,2026-11-02T10:00:00Z,,a1"  # valid, spelled another way
    invalid = "x,c d,11,5000,123,12.50,Yes,2026-11-02T10:00:00Z,,a1"
    short = "x,c d,10"
    text = "\n".join([header, valid, unusual, invalid, short]) + "\n"
    records = list(read_csv(io.BytesIO(text.encode()), model))
    assert [r.__class__ for r in records] == [CheckedCsvRecord, dict, dict, dict]
    checked = records[0]
    assert isinstance(checked, CheckedCsvRecord)
    assert checked.checked_for is model
    assert checked == {"t": "x", "c": "c d", "small": 10, "big": 5000, "whole": 123, "amount": checked["amount"],
                       "flag": True, "seen": "2026-11-02T10:00:00Z", "id": "a1"}
    assert str(checked["amount"]) == "12.50"
    valid_lead, _ = validator_for(model)(records[1], 2)
    assert valid_lead is not None and valid_lead.values[3] == 10


def test_a_header_without_a_required_field_or_with_events_is_never_checked(model: CheckedModel) -> None:
    for header, row in (("t,c,small,big,whole,amount,flag", "x,a,1,1,1,1,true"),
                        ("t,c,small,big,whole,amount,flag,seen,events", "x,a,1,1,1,1,true,2026-11-02,")):
        text = f"{header}\n{row}\n"
        assert [r.__class__ for r in read_csv(io.BytesIO(text.encode()), model)] == [dict]


def test_evaluation_takes_checked_values_only_for_their_own_model(model: CheckedModel, tmp_path: Any) -> None:
    import datetime as dt

    from leadrules.engine.python import compile_model

    path = tmp_path / "same.rules"
    path.write_text(RULES, encoding="utf-8")
    other = load_file(path).model
    assert other is not None and other is not model
    text = ("t,c,small,big,whole,amount,flag,seen\nx,a,7,5,1,2.5,true,2026-11-02T10:00:00Z\n"
            "x,a,7,5,1,2.5,true,2026-11-22T10:00:00Z\nx,a,70,5,1,2.5,true,2026-11-02T10:00:00Z\n")
    as_of = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    records = list(read_csv(io.BytesIO(text.encode()), model))
    assert [r.__class__ for r in records] == [CheckedCsvRecord, CheckedCsvRecord, dict]
    own = list(compile_model(model).evaluate_many(records, as_of))
    assert own == list(compile_model(other).evaluate_many(records, as_of))
    assert own == list(compile_model(model).evaluate_many([dict(r) for r in records], as_of))
    assert [r.get("stage") for r in own] == ["MQL", "MQL", None] and own[2]["error"]["field"] == "small"


def test_a_model_whose_fields_have_no_column_checks_rows_too(tmp_path: Any) -> None:
    path = tmp_path / "optional.rules"
    path.write_text('ruleset "o" version "1"\nfield n: integer optional\nscore s:\n    +1 per n\n'
                    'stages Lead -> MQL\nstage MQL if s >= 5\n', encoding="utf-8")
    optional = load_file(path).model
    assert optional is not None
    records = list(read_csv(io.BytesIO(b"id,x\n7,y\n"), optional))
    assert records == [{"id": "7", "x": "y"}] and isinstance(records[0], CheckedCsvRecord)
    assert records[0].field_values == (None,)
