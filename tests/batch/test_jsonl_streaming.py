"""JSON Lines read by DuckDB's CSV reader a whole line a row (`batch.input`): the records,
their numbers and the lines the Python engine takes back are the Python reader's, so the
output is the Python engine's byte for byte; files that reader would split otherwise (a `\\r`,
the delimiter byte, NUL) are read from their whole text instead, with the same output."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb
import pytest

from leadrules import model as m
from leadrules.batch import run_detailed
from leadrules.batch.input import LeadsInput, load_leads
from leadrules.engine.python import compile_model
from leadrules.io.leads import DEFAULT_CSV, WRITERS, read_leads
from leadrules.workspace import load_file

AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
RULES = '''ruleset "streaming" version "1"
field email: email
field employees: integer in 1..100000
field revenue: number optional
event demo
score fit:
    +10 if employees >= 50
    +2.5 if revenue > 1000.25
    +20 if has demo
'''
GOOD = '{"id": "%s", "email": "a@b.com", "employees": 60, "revenue": %s}'
EVENTS = 'lead_id,type,at\ng2,demo,2026-11-01T00:00:00Z\n3,demo,2026-11-02T00:00:00Z\n'


@pytest.fixture()
def model(tmp_path: Path) -> m.CheckedModel:
    path = tmp_path / "streaming.rules"
    path.write_text(RULES, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.model is not None
    return loaded.model


def _python(model: m.CheckedModel, leads: Path, events: Path | None) -> str:
    stream = io.StringIO()
    writer: Any = WRITERS["jsonl"](stream, model)
    with read_leads(str(leads), model, str(events) if events else None) as records:
        for record in compile_model(model).evaluate_many(records, AS_OF):
            writer.write(record)
    writer.close()
    return stream.getvalue()


def _lines_kept(model: m.CheckedModel, leads: Path) -> bool:
    con = duckdb.connect(":memory:")
    try:
        with ExitStack() as stack:
            return load_leads(con, model, LeadsInput("jsonl", str(leads), str(leads)), DEFAULT_CSV, stack).lines_kept
    finally:
        con.close()


FILES = {
    "plain, last line ended": (GOOD % ("g1", "1000.5") + "\n" + GOOD % ("g2", "12345678901.5") + "\n").encode(),
    "last line not ended": (GOOD % ("g1", "1000.5") + "\n" + GOOD % ("g2", "2.5")).encode(),
    "blank lines inside and at the end": (GOOD % ("g1", "1") + "\n\n   \n" + GOOD % ("g2", "2.5") + "\n\n").encode(),
    "a BOM, a line that is not JSON, one Python reads otherwise": (
        "\ufeff" + GOOD % ("g1", "1") + "\nnot json\n" + GOOD % ("g2", "0.1000000000000000000001")
        + '\n{"id": "g3", "email": "a@b.com", "employees": 60,}\n').encode(),
    "16 significant digits": (GOOD % ("g1", "1234567890.123456") + "\n" + GOOD % ("g2", "-99999999999999.5")
                              + "\n").encode(),
    "quotes and commas inside strings": ('{"id": "a,\\"b\\"", "email": "x@y.z", "employees": 5}\n').encode(),
    "empty file": b"",
    "only newlines": b"\n\n",
}
SPLIT_OTHERWISE = {
    "a carriage return": (GOOD % ("g1", "1") + "\r\n" + GOOD % ("g2", "2.5") + "\n").encode(),
    "the delimiter byte in a string": (GOOD % ("g1\\u0001", "1") + "\n" + '{"id": "\x01"}\n').encode(),
    "a carriage return inside a line": ('{"id": "g1", "email": "a\rb@c.d", "employees": 3}\n').encode(),
}


@pytest.mark.parametrize("name", list(FILES) + list(SPLIT_OTHERWISE))
@pytest.mark.parametrize("with_events", [False, True])
def test_output_is_the_python_engines(model: m.CheckedModel, tmp_path: Path, name: str, with_events: bool) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_bytes({**FILES, **SPLIT_OTHERWISE}[name])
    events = tmp_path / "events.csv" if with_events else None
    if events is not None:
        events.write_text(EVENTS, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run_detailed(model, str(leads), str(events) if events else None, AS_OF, "jsonl", str(out))
    assert out.read_text(encoding="utf-8") == _python(model, leads, events)


@pytest.mark.parametrize("name", list(FILES))
def test_plain_files_are_read_a_line_a_row(model: m.CheckedModel, tmp_path: Path, name: str) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_bytes(FILES[name])
    assert _lines_kept(model, leads) is False


@pytest.mark.parametrize("name", list(SPLIT_OTHERWISE))
def test_files_the_csv_reader_would_split_otherwise_keep_their_lines(model: m.CheckedModel, tmp_path: Path,
                                                                     name: str) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_bytes(SPLIT_OTHERWISE[name])
    assert _lines_kept(model, leads) is True


def test_decimals_of_up_to_15_digits_need_no_python(model: m.CheckedModel, tmp_path: Path) -> None:
    leads = tmp_path / "leads.jsonl"
    values = ["12345678901.5", "123456789.123456", "-99999999999999.5", "0.000001"]
    leads.write_text("".join(GOOD % (f"n{i}", v) + "\n" for i, v in enumerate(values)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    details = run_detailed(model, str(leads), None, AS_OF, "jsonl", str(out))
    assert details.python_records == 0
    assert out.read_text(encoding="utf-8") == _python(model, leads, None)


def test_decimals_of_16_digits_go_to_python(model: m.CheckedModel, tmp_path: Path) -> None:
    leads = tmp_path / "leads.jsonl"
    values = ["1234567890.123456", "999999999999999.5", "0.1000000000000000000001"]
    leads.write_text("".join(GOOD % (f"n{i}", v) + "\n" for i, v in enumerate(values)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    details = run_detailed(model, str(leads), None, AS_OF, "jsonl", str(out))
    assert details.python_records == 3
    assert out.read_text(encoding="utf-8") == _python(model, leads, None)


@pytest.mark.parametrize("line", [
    # a key of the same name inside a nested object comes first: its 1.5 is not the record's value
    '{"id": "n1", "email": "a@b.com", "employees": 60, "meta": {"revenue": 1000.25}, '
    '"revenue": 1000.250000000000000000001}',
    # the record's key written with an escape: the literal "revenue" found is the nested one
    '{"id": "n2", "email": "a@b.com", "employees": 60, "meta": {"revenue": 1000.25}, '
    '"rev\\u0065nue": 1000.250000000000000000001}',
    '{"id": "n3", "email": "a@b.com", "employees": 60, "note": "\\"revenue\\": 1000.25,", "revenue": 1000.250000000000000000001}',
])
def test_a_number_is_taken_from_the_records_own_member(model: m.CheckedModel, tmp_path: Path, line: str) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_text(line + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run_detailed(model, str(leads), None, AS_OF, "jsonl", str(out))
    assert out.read_text(encoding="utf-8") == _python(model, leads, None)
